// Material for MkDocs' linked content tabs (feature content.tabs.link), which the theme writes inline in
// partials/javascripts/content.html; a file here so that script-src 'self' lets it run.
var tabs=__md_get("__tabs");if(Array.isArray(tabs))e:for(var set of document.querySelectorAll(".tabbed-set")){var labels=set.querySelector(".tabbed-labels");for(var tab of tabs)for(var label of labels.getElementsByTagName("label"))if(label.innerText.trim()===tab){var input=document.getElementById(label.htmlFor);input.checked=!0;continue e}}
