// Cell renderers for dash-ag-grid. Text goes in as React children (escaped), never as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// A link whose target was built on the server (row field `href`, always a relative path).
dagcomponentfuncs.DrillLink = function (props) {
  var href = props.data && props.data.href;
  if (!href || href.charAt(0) !== "/") {
    return React.createElement("span", null, props.value);
  }
  return React.createElement("a", { href: href, className: "drill-link" }, props.value);
};
