/**
 * The console's one style sheet and one script, served from /console/assets/ (same origin:
 * the CSP allows `'self'` only). Mobile first; no web fonts, no CDN. The script adds
 * conveniences only — every page works without it: it records the browser's time zone in the
 * time-zone cookie (so dates appear in the operator's zone without visiting Settings), asks
 * before destructive actions (`data-confirm`), and loads a chosen LDIF file into the import
 * text area.
 */

export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f9a825;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:10}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.5rem 1rem;background:#12355b;color:#fff}
header.top a{color:#fff}
.brand{font-weight:700;text-decoration:none;font-size:1.1rem}
header nav{order:3;flex-basis:100%}
header nav ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;margin:0;padding:0}
header nav a{text-decoration:none;padding:.2rem 0;display:inline-block}
header nav a[aria-current=page]{border-bottom:3px solid #f9a825;font-weight:600}
.tools{margin-left:auto;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.who{opacity:.85;overflow-wrap:anywhere}
main{padding:1rem;max-width:72rem;margin:0 auto}
main:focus{outline:none}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
footer{padding:1rem;color:#555;font-size:.875rem;text-align:center}
.flash{padding:.6rem .8rem;border-radius:4px;overflow-wrap:anywhere}
.flash.ok{background:#e6f4ea;border:1px solid #34a853}
.flash.error{background:#fce8e6;border:1px solid #d93025}
form.inline{display:inline}
form.stack{display:grid;gap:.75rem;max-width:36rem;background:#fff;padding:1rem;border:1px solid #d0d7de;border-radius:6px}
form.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0}
form.row label{display:flex;flex-direction:column;font-size:.9rem}
label{font-weight:600}
label .hint{font-weight:400;color:#555;font-size:.85rem}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #8c959f;border-radius:4px;max-width:100%;background:#fff}
form.stack input,form.stack select,form.stack textarea{width:100%}
form.stack input[type=checkbox]{width:auto;margin-right:.4rem}
textarea{min-height:8rem;font-family:ui-monospace,monospace;font-size:.85rem}
button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:1px solid #12355b;background:#12355b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#12355b}
button.danger{background:#b3261e;border-color:#b3261e}
header button{background:transparent;border-color:#fff}
.table-wrap{position:relative;overflow-x:auto;background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#eef1f4;white-space:nowrap}
td{overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
dl.detail{display:grid;grid-template-columns:1fr;gap:.1rem 1rem;background:#fff;padding:1rem;border:1px solid #d0d7de;border-radius:6px}
dl.detail dt{font-weight:600;overflow-wrap:anywhere}
dl.detail dd+dt{margin-top:.4rem}
@media (min-width:40rem){dl.detail{grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem}dl.detail dd+dt{margin-top:0}}
dl.detail dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;font-size:.8rem;font-weight:600;white-space:nowrap}
.badge.good,.badge.ok,.badge.online{background:#e6f4ea;color:#1e6b34}
.badge.bad,.badge.failed,.badge.locked,.badge.offline,.badge.alert{background:#fce8e6;color:#8c1d18}
.badge.neutral{background:#eef1f4;color:#333}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.pager{display:flex;gap:1rem;margin:.5rem 0}
fieldset.inline-choices{display:flex;flex-wrap:wrap;gap:.25rem .9rem;border:1px solid #d0d7de;border-radius:4px;margin:0;padding:.2rem .6rem .4rem}
fieldset.inline-choices legend{font-size:.9rem;font-weight:600;padding:0 .2rem}
fieldset.inline-choices label{flex-direction:row;align-items:center;gap:.3rem;font-weight:400}
p.hint{color:#555;font-size:.875rem;margin:.5rem 0}
figure.chart{margin:.5rem 0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
figure.chart svg{display:block;width:100%;height:auto}
table.log-lines td:nth-child(2),table.log-lines td:nth-child(8){white-space:nowrap;overflow-wrap:normal}
pre.text{font:inherit;border:0;background:transparent;padding:0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #d0d7de;padding:.5rem;font-size:.85rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (min-width:60rem){header nav{order:0;flex-basis:auto}}
`;

export const CONSOLE_JS = `'use strict';
(function () {
  var name = '__Host-sekisho-console-tz';
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var has = document.cookie.split('; ').some(function (c) { return c.indexOf(name + '=') === 0; });
    if (tz && !has) {
      document.cookie = name + '=' + encodeURIComponent(tz) + '; Path=/; Secure; SameSite=Strict; Max-Age=31536000';
      if (document.querySelector('[data-times]')) location.reload();
    }
  } catch (e) { /* dates stay in the server's zone */ }
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    var q = f && f.getAttribute && f.getAttribute('data-confirm');
    if (q && !window.confirm(q)) ev.preventDefault();
  });
  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input || input.type !== 'file' || !input.getAttribute('data-into')) return;
    var target = document.getElementById(input.getAttribute('data-into'));
    var file = input.files && input.files[0];
    if (!target || !file) return;
    file.text().then(function (t) { target.value = t; });
  });
})();
`;
