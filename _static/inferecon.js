/* Small fixes for reading the book on a narrow screen (issue 16).
 *
 * - An inline formula wider than its line cannot wrap (MathJax 3 does not break inline math):
 *   it gets the class `inferecon-wide-math`, which makes it a box of the line's width that
 *   scrolls sideways with a visible scrollbar (_static/inferecon.css). Rechecked when the window
 *   is resized and when a dropdown or hidden cell is opened (its formulas had no width before).
 * - Any box that scrolls sideways (a formula, a table, code, an output) shows that it does: a
 *   phone draws no scrollbar until the box is touched, and iOS ignores styled scrollbars. The box
 *   gets `inferecon-more-right` while there is more to its right and `inferecon-more-left` while
 *   there is more to its left; the CSS fades that edge, so the cut reads as "more this way".
 * - The theme's "download source" link downloads the notebook rather than opening its JSON.
 */
(function () {
  "use strict";

  function lineWidth(el) {
    var block = el.parentElement;
    while (block && getComputedStyle(block).display.indexOf("inline") === 0) block = block.parentElement;
    if (!block) return 0;
    var st = getComputedStyle(block);
    return block.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
  }

  function fitInlineMath() {
    var all = document.querySelectorAll("mjx-container.MathJax:not([display='true'])");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      var math = el.querySelector("mjx-math");
      if (!math) continue;
      var room = lineWidth(el);
      if (room <= 0) continue; // hidden (a closed dropdown): decided when it opens
      var wide = math.getBoundingClientRect().width > room + 1;
      el.classList.toggle("inferecon-wide-math", wide);
    }
  }

  var SCROLLERS = [
    "mjx-container[display='true']",
    "mjx-container.inferecon-wide-math",
    ".pst-scrollable-table-container",
    ".cell_output .output_html",
    ".cell_output .text_html",
    "div.highlight pre",
    ".cell_output pre",
  ].map(function (s) { return ".bd-article " + s; }).join(", ");

  function edges(el) {
    var more = el.scrollWidth > el.clientWidth + 1;
    el.classList.toggle("inferecon-more-right", more && el.scrollLeft + el.clientWidth < el.scrollWidth - 1);
    el.classList.toggle("inferecon-more-left", more && el.scrollLeft > 1);
  }

  function markScrollers() {
    var all = document.querySelectorAll(SCROLLERS);
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (!el.dataset.infereconScroll) {
        el.dataset.infereconScroll = "1";
        el.addEventListener("scroll", function (ev) { edges(ev.currentTarget); }, { passive: true });
      }
      edges(el);
    }
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fitInlineMath();
      markScrollers();
    });
  }

  function start() {
    var mj = window.MathJax;
    var ready = mj && mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
    ready.then(schedule, schedule);
    window.addEventListener("resize", schedule);
    // dropdowns (togglebutton, sphinx-design), <details> and hidden cells reveal formulas
    document.addEventListener("click", function () { setTimeout(schedule, 50); }, true);
    document.addEventListener("toggle", schedule, true);
    document.querySelectorAll("a.btn-download-source-button[href$='.ipynb']").forEach(function (a) {
      a.setAttribute("download", a.getAttribute("href").split("/").pop());
      a.removeAttribute("target");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
