/* Starts Google Analytics (gtag.js) without an inline script, so that pages
   work under a Content-Security-Policy without 'unsafe-inline'. Only ever
   inserted for visitors who have not opted out. */
(()=>{const id=document.currentScript.dataset.measurementId;window.dataLayer=window.dataLayer||[];
function gtag(){window.dataLayer.push(arguments)}window.gtag=gtag;gtag("js",new Date());
gtag("config",id,{anonymize_ip:true})})();
