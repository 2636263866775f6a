// Material for MkDocs opens the content tab a link points to (partials/javascripts/content.html writes this
// inline); a file here so that script-src 'self' lets it run.
var target=document.getElementById(location.hash.slice(1));target&&target.name&&(target.checked=target.name.startsWith("__tabbed_"))
