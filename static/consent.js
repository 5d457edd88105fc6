/* privacy-pages consent.js: opt-out controls that update in place and show only
   what document.cookie says the browser kept; legacy gaOptout() etc.; two-click players. */
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
/* Two-click embeds: a player loads on its button, or at once once its service is allowed. */
const play=(d,f)=>{if(!d.isConnected)return;const p=document.createElement("iframe");p.src=d.dataset.embedPlayer;p.title=d.dataset.embedTitle;
p.width=d.dataset.embedWidth;p.height=d.dataset.embedHeight;p.allow="autoplay; encrypted-media; picture-in-picture; fullscreen";
p.allowFullscreen=true;p.style.cssText="border:0;max-width:100%";d.replaceWith(p);if(f)p.focus()};
const all=k=>document.querySelectorAll('.privacy-pages-embed[data-embed-player][data-embed-kind="'+k+'"]');
document.querySelectorAll(".privacy-pages-embed[data-embed-player]").forEach(d=>{const k=d.dataset.embedKind;
if(m[k]&&!off(k))return play(d);const add=(t,h)=>{const b=document.createElement("button");b.type="button";b.textContent=t;
b.style.alignSelf="flex-start";b.addEventListener("click",h);d.append(b)};add(d.dataset.embedPlay,()=>play(d,1));
if(m[k])add(d.dataset.embedAlways,()=>send("optin",k).then(()=>{if(!off(k))all(k).forEach(x=>play(x,x==d))}))})})();