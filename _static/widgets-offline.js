/* Loaded on pages with widgets, after require.js and before the ipywidgets HTML manager
 * (nb_ipywidgets_js in _config.yml). Two fixes so the manager works offline with MathJax 3:
 *
 * 1. Its webpack public path is the URL of its AMD module, which require.js resolves against the
 *    page (chapters/@jupyter-widgets/html-manager/dist/): its icon fonts were requested there and
 *    404ed. Map the module to the vendored copy (_vendor/html-manager, served as html-manager/).
 * 2. It typesets widget labels with MathJax 2's `MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])`;
 *    the book loads MathJax 3, which has no Hub. Give whatever object is window.MathJax a Hub
 *    whose Queue does the MathJax 3 equivalent (typesetPromise on that element).
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (here && typeof window.require === "function" && window.require.config) {
    window.require.config({
      paths: { "@jupyter-widgets/html-manager/dist": new URL("../html-manager", here).href },
    });
  }

  function typeset(element) {
    var mj = window.MathJax;
    if (!element || !mj || !mj.startup || !mj.startup.promise || !mj.typesetPromise) {
      return; // MathJax not loaded yet: its first pass typesets the whole page, widgets included
    }
    mj.startup.promise
      .then(function () { return mj.typesetPromise([element]); })
      .catch(function (err) { console.warn("MathJax could not typeset a widget:", err); });
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
      }
    },
  };

  function withHub(mj) {
    if (mj && typeof mj === "object" && !("Hub" in mj)) {
      // not enumerable, so MathJax 3 does not read it as a configuration option
      Object.defineProperty(mj, "Hub", { value: hub, enumerable: false, configurable: true, writable: true });
    }
    return mj;
  }

  var current = withHub(window.MathJax);
  try {
    Object.defineProperty(window, "MathJax", {
      configurable: true,
      enumerable: true,
      get: function () { return current; },
      set: function (value) { current = withHub(value); },
    });
  } catch (err) {
    document.addEventListener("DOMContentLoaded", function () { withHub(window.MathJax); });
  }
})();
