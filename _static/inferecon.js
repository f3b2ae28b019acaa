/* Small fixes for reading the book on a narrow screen (issue 16).
 *
 * - An inline formula wider than its line cannot wrap (MathJax 3 does not break inline math):
 *   it gets the class `inferecon-wide-math`, which makes it a box of the line's width that
 *   scrolls sideways with a visible scrollbar (_static/inferecon.css). Rechecked when the window
 *   is resized and when a dropdown or hidden cell is opened (its formulas had no width before).
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

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fitInlineMath();
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
