/* privacy-pages consent.js: progressive enhancement for the opt-out controls.
   Without it the controls are plain form posts. With it they update in place,
   and legacy calls such as gaOptout() / carbonOptout() reach the server, which
   sets the cookie (script-set cookies are capped at 7 days in Safari). What it
   shows is what document.cookie says the browser kept, never what was asked. */
(()=>{const s=document.currentScript,b=s.dataset.base||"",m={},q={};
(s.dataset.services||"").split(" ").forEach(p=>{const[i,c,n]=p.split(":");if(c){m[i]=c;q[i]=n}});
/* An opt-in service (":in") is off unless the consent record allows it. */
const off=i=>{try{const l=document.cookie.split(/;\s*/),r=(l.find(x=>x.startsWith("privacy-consent="))||"").split("~");
return l.includes(m[i]+"=true")||!!q[i]&&!(r[4]||"").split(".").includes(i)}catch(e){return false}};
const show=(i,o,f)=>document.querySelectorAll('.consent-control[data-consent-service="'+i+'"]').forEach(c=>{
const a=c.querySelector(".consent-on"),d=c.querySelector(".consent-off");if(a)a.hidden=o;if(d)d.hidden=!o;
if(f&&c.contains(f)){const t=(o?d:a)&&(o?d:a).querySelector("button");if(t)t.focus()}});
const say=(a,i,k)=>{const f=document.getElementById(a+"-"+i),n=document.getElementById("consent-result");
if(!f||!n)return;n.textContent=f.dataset[k?"saved":"unsaved"];n.className="notice notice-"+(k?"saved":"unsaved");n.hidden=false};
const send=(a,i,t)=>fetch(b+"/"+a+"/"+i,{method:"POST",credentials:"same-origin",
headers:{Accept:"application/json","Content-Type":"application/x-www-form-urlencoded"},
body:"return_to="+encodeURIComponent(location.pathname+location.search)})
.then(r=>{if(!r.ok)throw r;return r.json()}).then(j=>{const o=off(i);window[m[i]]=o;show(i,o,t);say(a,i,o===j.opted_out);return j})
.catch(()=>{const f=document.getElementById(a+"-"+i);if(f)f.submit()});
for(const i in m){if(off(i))window[m[i]]=true;window[i+"Optout"]=()=>send("optout",i)}
document.addEventListener("submit",e=>{const f=e.target;if(!f.matches("form[data-consent-action]"))return;
e.preventDefault();send(f.dataset.consentAction,f.dataset.consentService,e.submitter)});
/* Two-click embeds: the player loads only when its button is clicked. */
document.querySelectorAll(".privacy-pages-embed[data-embed-player]").forEach(d=>{const b=document.createElement("button");
b.type="button";b.textContent=d.dataset.embedPlay;b.style.alignSelf="flex-start";b.addEventListener("click",()=>{
const f=document.createElement("iframe");f.src=d.dataset.embedPlayer;f.title=d.dataset.embedTitle;f.width=d.dataset.embedWidth;
f.height=d.dataset.embedHeight;f.allow="autoplay; encrypted-media; picture-in-picture; fullscreen";f.allowFullscreen=true;
f.style.cssText="border:0;max-width:100%";d.replaceWith(f);f.focus()});d.append(b)})})();
