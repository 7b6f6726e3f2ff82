/**
 * A minimal browser over fetch for the benchmarks that drive real server processes: cookies,
 * Origin on every POST, urlencoded and multipart forms, and the fields of a form as the page
 * rendered it (hidden fields, inputs with their values, checked boxes, textareas, selected
 * options), so that a step posts what a person pressing the button would post.
 */

export type Answer = { status: number; location: string | null; html: string; ms: number };
export type Upload = { name: string; bytes: Uint8Array; type: string };

export class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1);
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, init: { method?: string; form?: Record<string, string>; multipart?: FormData } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | FormData | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    } else if (init.multipart) body = init.multipart; // fetch sets the multipart boundary
    if (body !== undefined) headers.origin = this.base;
    const t0 = performance.now();
    const res = await fetch(this.base + path, {
      method: init.method ?? (body !== undefined ? "POST" : "GET"),
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(120_000),
    });
    const html = await res.text();
    const ms = performance.now() - t0;
    this.store(res);
    return { status: res.status, location: res.headers.get("location"), html, ms };
  }

  get(path: string) {
    return this.request(path);
  }

  post(path: string, form: Record<string, string>) {
    return this.request(path, { form });
  }

  /** A multipart form as a browser sends enctype="multipart/form-data": the fields in order, then the files. */
  postMultipart(path: string, fields: Record<string, string>, files: Record<string, Upload[]>) {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    for (const [k, list] of Object.entries(files)) {
      for (const f of list) body.append(k, new File([f.bytes as Uint8Array<ArrayBuffer>], f.name, { type: f.type }));
    }
    return this.request(path, { multipart: body });
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'", "#34": '"', nbsp: "\u00a0" };
export const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|nbsp|#39|#x27|#34);/g, (_, e: string) => ENTITIES[e]!);

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inner = tag.replace(/^<\w+/, "").replace(/\/?>$/, "");
  for (const m of inner.matchAll(/([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    out[m[1]!.toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

/**
 * The fields a browser would submit for the form whose action is `action` (undefined when the page
 * has no such form): file inputs and buttons left out (the caller adds the button it presses).
 */
export function formOf(html: string, action: string): Record<string, string> | undefined {
  for (const m of html.matchAll(/<form\b[^>]*>/g)) {
    if (attributes(m[0]).action !== action) continue;
    const start = m.index! + m[0].length;
    const end = html.indexOf("</form>", start);
    const body = html.slice(start, end < 0 ? undefined : end);
    const fields: Record<string, string> = {};
    for (const t of body.matchAll(/<input\b[^>]*>/g)) {
      const a = attributes(t[0]);
      const type = (a.type ?? "text").toLowerCase();
      if (!a.name || ["file", "submit", "button", "image", "reset"].includes(type)) continue;
      if ((type === "checkbox" || type === "radio") && !("checked" in a)) continue;
      fields[a.name] = a.value ?? (type === "checkbox" || type === "radio" ? "on" : "");
    }
    for (const t of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
      const a = attributes(`<textarea${t[1]}>`);
      if (a.name) fields[a.name] = decode(t[2]!.replace(/^\r?\n/, ""));
    }
    for (const t of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
      const a = attributes(`<select${t[1]}>`);
      if (!a.name) continue;
      const options = [...t[2]!.matchAll(/<option\b[^>]*>/g)].map((o) => attributes(o[0]));
      const chosen = options.find((o) => "selected" in o) ?? options[0];
      fields[a.name] = chosen?.value ?? "";
    }
    return fields;
  }
  return undefined;
}

/** The href of the first link with this class (or undefined). */
export function linkWithClass(html: string, cls: string): string | undefined {
  for (const m of html.matchAll(/<a\b[^>]*>/g)) {
    const a = attributes(m[0]);
    if ((a.class ?? "").split(/\s+/).includes(cls) && a.href) return a.href;
  }
  return undefined;
}

/** What the page says went wrong (its error messages and callouts), for a failure report. */
export function pageErrors(html: string): string {
  const found = [...html.matchAll(/<(?:p|div)\b[^>]*class="[^"]*(?:error-message|callout-error|error|alert)[^"]*"[^>]*>([\s\S]*?)<\/(?:p|div)>/g)].map(
    (m) => decode(m[1]!.replace(/<[^>]+>/g, "")).trim(),
  );
  const title = html.match(/<h1[^>]*>([\s\S]*?)<\/h1>/)?.[1];
  return [title && decode(title.replace(/<[^>]+>/g, "")).trim(), ...found].filter(Boolean).join(" | ").slice(0, 300);
}

/**
 * Signs in through 账号密码登录 as a person would: GET /login for the form (CSRF token, captcha
 * id), POST it with the phone, the password and the captcha answer (the server runs with the test
 * captcha, CAPTCHA_TEST_ANSWER). Throws unless the server answers 303.
 */
export async function signIn(base: string, phone: string, password: string, captcha: string): Promise<Client> {
  const c = new Client(base);
  const page = await c.get("/login");
  const f = formOf(page.html, "/login/password");
  if (!f) throw new Error(`no 账号密码登录 form on ${base}/login`);
  const res = await c.post("/login/password", { ...f, phone, password, captcha });
  if (res.status !== 303) throw new Error(`sign-in of ${phone} on ${base}: ${res.status} ${pageErrors(res.html)}`);
  return c;
}
