// A <dialog open> that htmx loads over a page (我要留言, 服务券配额申请) is shown modally: focus
// stays inside it, Esc closes it, and focus then returns to the link that opened it. Without
// JavaScript, and on its own page (/messages/new), the same dialog is simply part of the page.
// A closed dialog is removed, so its fields' ids (f-category, f-captcha...) no longer shadow the page's.
(() => {
  let opener = null;
  let overlay = false;
  const shown = new WeakSet();
  addEventListener("htmx:beforeRequest", (e) => {
    const elt = e.detail.elt;
    const box = elt.closest("dialog");
    overlay = !box || box.matches(":modal");
    if (!box) opener = elt;
  });
  addEventListener("htmx:load", (e) => {
    const d = e.target;
    if (!overlay || !(d instanceof HTMLDialogElement) || !d.open || d.matches(":modal")) return;
    const focused = document.activeElement;
    d.close();
    d.showModal();
    shown.add(d);
    if (focused instanceof HTMLElement && d.contains(focused)) focused.focus();
  });
  // A 取消 link back to the page under the dialog just closes it.
  addEventListener("click", (e) => {
    const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
    const d = a?.closest("dialog");
    if (d && shown.has(d) && a.pathname === location.pathname && !a.search) {
      e.preventDefault();
      d.close();
    }
  });
  addEventListener(
    "close",
    (e) => {
      const d = e.target;
      if (!shown.has(d) || d.open) return;
      d.remove();
      if (opener?.isConnected) opener.focus();
    },
    true,
  );
})();
