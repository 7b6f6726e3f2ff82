/** The mock cashier's own stylesheet (a bank's pages do not use the platform's): phone first, large touch targets, visible focus. */
export const CASHIER_CSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1d2129; background: #f5f6f8; }
.bank { background: #a3131b; color: #fff; padding: 10px 16px; font-size: 15px; }
.bank strong { font-weight: 600; }
main { max-width: 480px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 8px 0 16px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.card { background: #fff; border-radius: 8px; padding: 16px; margin: 0 0 16px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
dl { margin: 0; }
dt { color: #5c6370; font-size: 14px; }
dd { margin: 0 0 10px; overflow-wrap: anywhere; }
.amount { font-size: 28px; font-weight: 700; color: #a3131b; }
.hint { color: #5c6370; font-size: 14px; margin: 8px 0 0; }
.alert { border-left: 4px solid #b42318; background: #fef3f2; color: #7a271a; padding: 10px 12px; margin: 0 0 16px; border-radius: 4px; }
.ok { border-left: 4px solid #067647; background: #ecfdf3; color: #054f31; padding: 10px 12px; margin: 0 0 16px; border-radius: 4px; }
.buttons { display: flex; flex-direction: column; gap: 12px; margin-top: 16px; }
button, .button { display: block; width: 100%; min-height: 44px; padding: 10px 18px; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid #a3131b; background: #a3131b; color: #fff; cursor: pointer; text-align: center; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: #a3131b; }
a { color: #a3131b; }
:focus-visible { outline: 3px solid #f79009; outline-offset: 2px; }
`;
