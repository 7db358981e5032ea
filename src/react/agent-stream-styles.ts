/** The stylesheet of `<AgentStream>`: plain CSS, dark text on a light background, `as-` prefixed. */
export const AGENT_STREAM_CSS = `
.as-root{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;background:#fff;border:1px solid #d5dae1;border-radius:8px;display:flex;flex-direction:column;min-height:0}
.as-header{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:8px 12px;border-bottom:1px solid #e3e7ec;background:#f6f8fa;border-radius:8px 8px 0 0}
.as-title{font-weight:600}
.as-pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid transparent}
.as-pill[data-state=live],.as-pill[data-agent-state=idle]{background:#e6f4ea;color:#1e6b34;border-color:#b7dfc2}
.as-pill[data-state=connecting],.as-pill[data-state=reconnecting],.as-pill[data-agent-state=starting],.as-pill[data-agent-state=retry]{background:#fff6dd;color:#7a5300;border-color:#f0d68a}
.as-pill[data-agent-state=busy]{background:#e7f0fd;color:#174ea6;border-color:#b6cdf5}
.as-pill[data-state=reconnecting]{font-variant-numeric:tabular-nums}
.as-pill[data-state=failed],.as-pill[data-agent-state=failed]{background:#fde8e8;color:#a11d1d;border-color:#f3b8b8}
.as-pill[data-state=exited],.as-pill[data-state=closed],.as-pill[data-agent-state=exited],.as-pill[data-agent-state=unknown]{background:#eceff3;color:#454d57;border-color:#d5dae1}
.as-muted{color:#5d6672;font-size:12px}
.as-log{list-style:none;margin:0;padding:8px 12px;overflow:auto;max-height:var(--as-log-height,70vh);min-height:120px}
.as-row{padding:6px 0;border-bottom:1px solid #f0f2f5}
.as-row:last-child{border-bottom:0}
.as-label{display:inline-block;min-width:72px;font-size:12px;font-weight:600;color:#5d6672;text-transform:uppercase;letter-spacing:.03em}
.as-text-body{white-space:pre-wrap;word-break:break-word;margin:2px 0 0}
.as-text-rich{white-space:normal}
.as-md-tail{white-space:pre-wrap}
.as-md>:first-child>:first-child{margin-top:0}
.as-md p,.as-md ul,.as-md ol,.as-md pre,.as-md table,.as-md blockquote{margin:4px 0 8px}
.as-md ul,.as-md ol{padding-left:22px}
.as-md h1,.as-md h2,.as-md h3,.as-md h4{margin:10px 0 4px;line-height:1.25}
.as-md h1{font-size:18px}.as-md h2{font-size:16px}.as-md h3,.as-md h4{font-size:14px}
.as-md code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff2f5;border-radius:4px;padding:1px 4px}
.as-md pre{background:#f6f8fa;border:1px solid #e3e7ec;border-radius:6px;padding:8px 10px;overflow:auto;max-height:420px;white-space:pre}
.as-md pre code{background:none;padding:0;font-size:12px}
.as-md blockquote{border-left:3px solid #d5dae1;padding:0 10px;color:#454d57}
.as-md table{border-collapse:collapse;display:block;overflow:auto}
.as-md th,.as-md td{border:1px solid #d5dae1;padding:3px 8px}
.as-md a{color:#174ea6}
.as-reasoning .as-md{color:#454d57}
.hljs-keyword,.hljs-selector-tag,.hljs-meta .hljs-keyword,.hljs-type{color:#b31d28}
.hljs-string,.hljs-regexp,.hljs-meta .hljs-string{color:#0a3069}
.hljs-comment,.hljs-quote{color:#57606a;font-style:italic}
.hljs-number,.hljs-literal,.hljs-symbol,.hljs-bullet,.hljs-variable.language_{color:#0550ae}
.hljs-title,.hljs-title.function_,.hljs-title.class_,.hljs-section{color:#6639ba}
.hljs-attr,.hljs-attribute,.hljs-built_in,.hljs-params,.hljs-variable,.hljs-property,.hljs-name,.hljs-tag{color:#953800}
.hljs-addition{color:#116329;background:#dafbe1}
.hljs-deletion{color:#82071e;background:#ffebe9}
.as-diffs{margin:4px 0}
.as-diff{border:1px solid #d5dae1;border-radius:6px;margin:4px 0;overflow:hidden}
.as-diff-summary{cursor:pointer;padding:3px 8px;background:#f6f8fa;font-size:12px}
.as-diff-count-add{color:#116329;font-weight:600}
.as-diff-count-del{color:#a11d1d;font-weight:600}
.as-diff-body{margin:0;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow:auto;max-height:420px}
.as-diff-body>.as-diff-hunk{display:block}
.as-diff-hunk>span{display:block;padding:0 8px;white-space:pre}
.as-diff-hunk-head{color:#454d57;background:#eef2f8}
.as-diff-add{background:#e6ffec;color:#0f4d22}
.as-diff-del{background:#ffebe9;color:#82071e}
.as-diff-ctx{color:#1d232b}
.as-collapse>summary{cursor:pointer;color:#174ea6;font-size:12px}
.as-role-user .as-text-body{background:#f3f6fa;border-left:3px solid #8aa4c8;padding:4px 8px}
.as-reasoning .as-text-body{color:#5d6672;font-style:italic}
.as-tool-head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.as-tool-name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.as-status{font-size:12px;font-weight:600;padding:0 6px;border-radius:4px;background:#eceff3;color:#454d57}
.as-status[data-status=running],.as-status[data-status=pending]{background:#e7f0fd;color:#174ea6}
.as-status[data-status=completed]{background:#e6f4ea;color:#1e6b34}
.as-status[data-status=error]{background:#fde8e8;color:#a11d1d}
.as-details summary{cursor:pointer;color:#174ea6;font-size:12px;margin-top:2px}
.as-pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f6f8fa;border:1px solid #e3e7ec;border-radius:4px;padding:6px 8px;margin:4px 0;white-space:pre-wrap;word-break:break-word;max-height:320px;overflow:auto}
.as-error{background:#fde8e8;border-left:4px solid #c62828;color:#7f1414;padding:6px 8px;border-radius:4px}
.as-tool-error{color:#a11d1d;margin-top:2px}
.as-tool[data-tool-status=error]{background:#fff6f6;margin:0 -12px;padding:6px 12px 6px 9px;border-left:3px solid #d93025}
.as-row.as-role-user:not(:first-child){margin-top:10px;border-top:2px solid #d5dae1;padding-top:12px}
.as-file-row{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.as-file{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.as-gap{color:#7a5300;background:#fff6dd;padding:4px 8px;border-radius:4px}
.as-exit{font-weight:600;color:#454d57;background:#eceff3;padding:4px 8px;border-radius:4px}
.as-jump{align-self:flex-end;margin:6px 12px;font:inherit;font-size:12px;padding:2px 10px;border:1px solid #b6cdf5;background:#e7f0fd;color:#174ea6;border-radius:999px;cursor:pointer}
.as-empty{color:#5d6672;padding:8px 0}
.as-request-row .as-label,.as-action-row .as-label{min-width:96px}
.as-request-row .as-tool-name{margin-right:6px}
.as-request-pending{background:#fff6dd;margin:0 -12px;padding:6px 12px 6px 9px;border-left:3px solid #e0a800}
.as-request-outcome{color:#5d6672}
.as-action-row{color:#454d57}
.as-action-row .as-label{color:#7a5300}
.as-act{border-top:1px solid #e3e7ec;padding:8px 12px;display:flex;flex-direction:column;gap:8px;background:#fafbfc;border-radius:0 0 8px 8px}
.as-act-reason{margin:0;font-size:12px;color:#7a5300;background:#fff6dd;border:1px solid #f0d68a;border-radius:4px;padding:3px 8px;align-self:flex-start}
.as-act-notice{margin:0;font-size:12px;color:#174ea6;background:#e7f0fd;border:1px solid #b6cdf5;border-radius:4px;padding:3px 8px;align-self:flex-start}
.as-act-error{color:#a11d1d;font-size:12px;margin-top:4px}
.as-card{border:1px solid #f0d68a;background:#fffdf5;border-radius:6px;padding:8px 10px;margin:0}
.as-card-head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.as-card-title{font-weight:600;margin:4px 0;padding:0;word-break:break-word}
.as-patterns{margin:2px 0 6px;padding-left:18px;font-size:12px}
.as-card-actions{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin-top:6px}
.as-question{border:0;margin:0 0 6px;padding:0;min-width:0}
.as-question-header{color:#5d6672}
.as-option{display:block;padding:1px 0;cursor:pointer}
.as-btn{font:inherit;font-size:13px;padding:3px 12px;border-radius:6px;border:1px solid #c4ccd6;background:#fff;color:#1d232b;cursor:pointer}
.as-btn:hover:not(:disabled){border-color:#8aa4c8}
.as-btn:disabled{opacity:.55;cursor:not-allowed}
.as-btn-primary{background:#174ea6;border-color:#174ea6;color:#fff}
.as-btn-primary:hover:not(:disabled){background:#123f87}
.as-btn-danger{color:#a11d1d;border-color:#f3b8b8}
.as-act-row{display:flex;gap:8px;align-items:flex-start}
.as-prompt{flex:1;display:flex;gap:8px;align-items:flex-start;flex-wrap:wrap;min-width:0}
.as-input{font:inherit;border:1px solid #c4ccd6;border-radius:6px;padding:4px 8px;background:#fff;color:#1d232b;box-sizing:border-box}
.as-input:disabled{background:#f3f5f8;cursor:not-allowed}
.as-prompt-input{flex:1;min-width:0;resize:vertical;min-height:38px}
.as-prompt .as-act-error{flex-basis:100%}
.as-stop{align-self:flex-start}
`;
