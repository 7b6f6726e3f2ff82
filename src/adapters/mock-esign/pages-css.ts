/**
 * The mock provider's own stylesheet (a vendor's pages do not use the platform's): phone first,
 * readable at 360 px, large touch targets, visible focus.
 */
export const MOCK_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2329; background: #f2f4f7; }
.vendor { background: #1456f0; color: #fff; padding: 10px 16px; font-size: 15px; }
.vendor strong { font-weight: 600; }
main { max-width: 480px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 8px 0 16px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.card { background: #fff; border-radius: 8px; padding: 16px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
dl { margin: 0; }
dt { color: #646a73; font-size: 14px; }
dd { margin: 0 0 10px; overflow-wrap: anywhere; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; overflow-wrap: anywhere; word-break: break-all; }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
input[type=text], textarea { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid #8f959e; border-radius: 6px; background: #fff; }
input[type=file] { width: 100%; font: inherit; padding: 8px 0; }
textarea { min-height: 96px; }
.hint { color: #646a73; font-size: 14px; margin: 4px 0 0; }
.error { color: #b42318; font-size: 14px; margin: 4px 0 0; }
.alert { border-left: 4px solid #b42318; background: #fef3f2; color: #7a271a; padding: 10px 12px; margin: 0 0 16px; border-radius: 4px; }
.ok { border-left: 4px solid #067647; background: #ecfdf3; color: #054f31; padding: 10px 12px; margin: 0 0 12px; border-radius: 4px; }
.buttons { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
button, .button { display: inline-block; min-height: 44px; min-width: 120px; padding: 10px 18px; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid #1456f0; background: #1456f0; color: #fff; cursor: pointer; text-align: center; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: #1456f0; }
button.danger { background: #fff; color: #b42318; border-color: #b42318; }
button[disabled] { background: #dee0e3; border-color: #dee0e3; color: #51565d; cursor: not-allowed; }
a { color: #1456f0; }
:focus-visible { outline: 3px solid #f79009; outline-offset: 2px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 8px 4px; border-bottom: 1px solid #dee0e3; vertical-align: top; overflow-wrap: anywhere; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
