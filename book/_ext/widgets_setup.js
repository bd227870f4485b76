// Set-up for the Jupyter widgets HTML manager (embed-amd.js), loaded just before it.
(function () {
  // 1. The widget manager finds its fonts relative to the AMD module
  //    "@jupyter-widgets/html-manager/dist/...", which require.js would resolve against
  //    the page's own folder. Map it to the folder beside this script, so it works at any
  //    page depth, under any URL prefix and from file://.
  var here = document.currentScript.src;
  var folder = here.slice(0, here.lastIndexOf("/") + 1);
  window.require.config({
    paths: { "@jupyter-widgets/html-manager/dist": folder + "html-manager" },
  });

  // 2. The widget manager typesets widget labels with MathJax 2's MathJax.Hub.Queue
  //    whenever window.MathJax exists; the book loads MathJax 3, which has no Hub. Give
  //    it the one call it makes, mapped onto MathJax 3's typesetPromise. This listener is
  //    registered before embed-amd.js registers its own, so it runs first on "load".
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub || !mathjax.startup) {
      return;
    }
    mathjax.Hub = {
      Queue: function (command) {
        var element = command[2];
        mathjax.startup.promise = mathjax.startup.promise
          .then(function () { return mathjax.typesetPromise([element]); })
          .catch(function (error) { console.warn("MathJax could not typeset a widget label", error); });
      },
    };
  });
})();
