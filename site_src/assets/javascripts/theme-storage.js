// Material for MkDocs' storage helpers (__md_scope, __md_get, __md_set), which the theme writes inline in
// partials/javascripts/base.html. Here they are a file, so the site runs under the same Content Security
// Policy as the service (script-src 'self', no inline script). The one change: the scope, the site's root
// as seen from the page, comes from the script element's data-scope (see site_src/overrides/partials).
__md_scope=new URL(document.currentScript.dataset.scope,location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}}
