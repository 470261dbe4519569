// Loaded before require.js and the ipywidgets HTML manager on pages with widgets: make the manager look for
// its font files in this book's copy (beside embed-amd.js) rather than at paths relative to the page.
(function () {
  var base = new URL("vendor/ipywidgets/", document.currentScript.src).href;
  window.__jupyter_widgets_assets_path__ = base;
  // RequireJS reads a global `require` object defined before it loads as its configuration.
  // Each bundled module finds its assets beside its own (virtual) file, so all of them are mapped there.
  var folder = base.replace(/\/$/, "");
  window.require = { paths: { "@jupyter-widgets": folder, "@jupyter-widgets/html-manager/dist": folder } };
})();
