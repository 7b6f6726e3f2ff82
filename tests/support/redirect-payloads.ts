/**
 * Known open-redirect payloads (exact values as they reach the server, after URL decoding).
 * Every one of them must leave the visitor on our origin; most must be refused outright.
 */
export const OPEN_REDIRECT_PAYLOADS: string[] = [
  "//evil.example",
  "///evil.example",
  "////evil.example/x",
  "/\\evil.example",
  "\\/evil.example",
  "\\\\evil.example",
  "/\\/evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "\t//evil.example",
  " //evil.example",
  "/\u0000/evil.example",
  "/\u007f/evil.example",
  "\u0085//evil.example",
  "/%09/evil.example",
  "/%0a/x",
  "/%0d%0aSet-Cookie:x=1",
  "/%2F%2Fevil.example",
  "%2F%2Fevil.example",
  "/%5Cevil.example",
  "/%5C%5Cevil.example",
  "/%2e%2e//evil.example",
  "/.//evil.example",
  "/..//evil.example",
  "https://evil.example",
  "http://evil.example",
  "HTTPS://EVIL.EXAMPLE",
  "https:evil.example",
  "https:/evil.example",
  "http:/\\evil.example",
  "http:\\\\evil.example",
  "ftp://evil.example",
  "//evil.example:443/x",
  "//%65vil.example",
  "https://self.invalid@evil.example",
  "//evil.example@localhost",
  "/@evil.example",
  "http://localhost@evil.example",
  "https://evil.example\\@localhost",
  "///\\;@evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(document.domain)",
  "java\tscript:alert(1)",
  "javascript://%0aalert(1)",
  "data:text/html,<script>alert(1)</script>",
  "vbscript:msgbox(1)",
  "／／evil.example",
  "/／evil.example",
  "//evil。example",
  "//evil\u3002example",
  "/\u2028/evil.example",
  "/\u2029/evil.example",
  "/\u200b/evil.example",
  "\u200b//evil.example",
  "/\u202e/elpmaxe.live",
  "/\u2066/evil.example",
  "\ufeff//evil.example",
  "/\u00ad/evil.example",
  "\u3000//evil.example",
  "//ⓔⓥⓘⓛ.example",
  "//evil.example%E3%80%82com",
  "/x?next=//evil.example#//evil.example",
  "x".repeat(5000),
];

/** True when a redirect target stays on `origin` and is safe to put in a Location header. */
export function staysOn(origin: string, location: string | null): boolean {
  if (!location) return false;
  if (!location.startsWith("/") || location.startsWith("//") || location.startsWith("/\\")) return false;
  // Only printable ASCII: nothing a browser strips or reinterprets.
  if (!/^[\x21-\x7e]+$/.test(location)) return false;
  return new URL(location, origin).origin === origin;
}
