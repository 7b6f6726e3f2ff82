import type { TestApp } from "./app.ts";

/**
 * A minimal browser for app.request(): keeps cookies, sends Origin on POST like a browser,
 * reads the CSRF token and captcha id from the last page.
 */
export class Browser {
  cookies = new Map<string, string>();
  lastHtml = "";
  lastStatus = 0;
  lastLocation: string | null = null;

  constructor(
    private readonly t: TestApp,
    private readonly origin = "http://localhost",
    private readonly ip = "10.0.0.1",
  ) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = pair!.split("=") as [string, string];
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", this.cookieHeader());
    headers.set("X-Forwarded-For", this.ip);
    const res = await this.t.app.request(`${this.origin}${path}`, { ...init, headers, redirect: "manual" });
    this.store(res);
    this.lastStatus = res.status;
    this.lastLocation = res.headers.get("Location");
    return res;
  }

  async get(path: string): Promise<Response> {
    const res = await this.request(path);
    if ((res.headers.get("Content-Type") ?? "").includes("text/html")) this.lastHtml = await res.clone().text();
    return res;
  }

  /** Follows redirects of a GET. */
  async visit(path: string): Promise<Response> {
    let res = await this.get(path);
    for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) res = await this.get(res.headers.get("Location")!);
    return res;
  }

  csrf(html = this.lastHtml): string {
    const m = html.match(/name="_csrf" value="([^"]+)"/);
    if (!m) throw new Error("no CSRF token on the page");
    return m[1]!;
  }

  captchaId(html = this.lastHtml): string {
    const m = html.match(/name="captchaId" value="([^"]+)"/);
    if (!m) throw new Error("no captcha on the page");
    return m[1]!;
  }

  /** Posts a form the way a browser does (urlencoded, Origin, CSRF token from the last page unless given). */
  async post(path: string, fields: Record<string, string>, opts: { csrf?: string | null; headers?: Record<string, string> } = {}) {
    const body = new URLSearchParams(fields);
    if (opts.csrf !== null) body.set("_csrf", opts.csrf ?? this.csrf());
    const res = await this.request(path, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: this.origin, ...opts.headers },
    });
    if ((res.headers.get("Content-Type") ?? "").includes("text/html")) this.lastHtml = await res.clone().text();
    return res;
  }

  /** Posts a multipart form with files, as a browser does for enctype="multipart/form-data". */
  async postMultipart(
    path: string,
    fields: Record<string, string | string[]>,
    files: Record<string, { name: string; bytes: Uint8Array; type?: string } | { name: string; bytes: Uint8Array; type?: string }[]> = {},
    opts: { csrf?: string | null } = {},
  ) {
    const body = new FormData();
    // A browser sends the fields in document order, and every form has its _csrf field first.
    if (opts.csrf !== null) body.set("_csrf", opts.csrf ?? this.csrf());
    for (const [k, v] of Object.entries(fields)) if (k !== "_csrf" || opts.csrf === null) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    for (const [k, v] of Object.entries(files)) {
      for (const f of Array.isArray(v) ? v : [v])
        body.append(k, new File([f.bytes as Uint8Array<ArrayBuffer>], f.name, { type: f.type ?? "application/octet-stream" }));
    }
    const res = await this.request(path, { method: "POST", body, headers: { Origin: this.origin } });
    if ((res.headers.get("Content-Type") ?? "").includes("text/html")) this.lastHtml = await res.clone().text();
    return res;
  }
}

/** Minimal valid-looking file contents for upload tests. */
export const SAMPLE_PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
export const SAMPLE_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

/** The latest SMS code sent to a phone. */
export async function latestCode(t: TestApp, phone: string): Promise<string> {
  const msgs = await t.sms.latest(50);
  const m = msgs.find((x) => x.phone === phone);
  const code = m?.text.match(/验证码为(\d{6})/)?.[1];
  if (!code) throw new Error(`no SMS code for ${phone}`);
  return code;
}
