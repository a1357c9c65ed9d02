// Cell renderers for dash-ag-grid. Text goes in as React children (escaped), never as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// A link whose target was built on the server (row field `href`, always a relative path).
// A plain click navigates inside the app (like dcc.Link: history.pushState + Dash's event),
// so the page changes without reloading the scripts; modified clicks open normally.
dagcomponentfuncs.DrillLink = function (props) {
  var href = props.data && props.data.href;
  if (!href || href.charAt(0) !== "/" || href.charAt(1) === "/") {
    return React.createElement("span", null, props.value);
  }
  function onClick(event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    window.history.pushState({}, "", href);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }
  return React.createElement("a", { href: href, className: "drill-link", onClick: onClick }, props.value);
};
