/**
 * The leadflow web-chat widget: `<script src="…/widget.js" data-leadflow-key="lfpk_…" async></script>`. A chat
 * button opens a small form in a Shadow DOM (the page's CSS cannot break it, nor it the page's), posts to the
 * channel's inbound endpoint on the API that served this script, and says when the message was received or why not.
 * No dependencies: it is built by esbuild into one small file (widget/build.ts).
 */

const script = document.currentScript as HTMLScriptElement | null;
const publicKey = script?.dataset.leadflowKey ?? "";
const endpoint = script ? new URL(`/inbound/webchat/${encodeURIComponent(publicKey)}`, script.src).href : "";

const STYLE = `
:host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:14px/1.4 system-ui,sans-serif;color:#1a1a1a}
button{font:inherit;cursor:pointer;border-radius:8px;border:0;padding:10px 16px;background:#1f4fd6;color:#fff}
button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
form{display:flex;flex-direction:column;gap:8px;width:280px;margin-bottom:10px;padding:16px;background:#fff;border:1px solid #c9c9c9;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.18)}
form[hidden]{display:none}
h2{margin:0 0 4px;font-size:16px}
label{display:flex;flex-direction:column;gap:2px;font-weight:600}
input,textarea{font:inherit;font-weight:400;padding:6px 8px;border:1px solid #8a8a8a;border-radius:6px}
textarea{min-height:80px;resize:vertical}
[role=status]{min-height:1.4em;margin:0}
.error{color:#b00020}
.wrap{display:flex;flex-direction:column;align-items:flex-end}
`;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

function field(label: string, control: HTMLInputElement | HTMLTextAreaElement) {
  const wrapper = element("label", { textContent: label });
  wrapper.append(control);
  return wrapper;
}

function mount() {
  const host = element("div");
  host.setAttribute("data-leadflow-chat", "");
  const root = host.attachShadow({ mode: "open" });
  const style = element("style", { textContent: STYLE });
  const wrap = element("div", { className: "wrap" });

  const form = element("form", { hidden: true, noValidate: false });
  form.id = "leadflow-chat-form";
  form.setAttribute("aria-labelledby", "leadflow-chat-title");
  const title = element("h2", { id: "leadflow-chat-title", textContent: "Send us a message" });
  const name = element("input", { name: "name", required: true, maxLength: 200, autocomplete: "name" });
  const contact = element("input", { name: "contact", maxLength: 320, autocomplete: "email" });
  const message = element("textarea", { name: "message", required: true, maxLength: 5000 });
  const status = element("p");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const send = element("button", { type: "submit", textContent: "Send" });
  form.append(
    title,
    field("Your name", name),
    field("Email or phone (optional)", contact),
    field("Message", message),
    send,
    status,
  );

  const toggle = element("button", { type: "button", textContent: "Chat with us" });
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", form.id);
  toggle.addEventListener("click", () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) name.focus();
  });

  const say = (text: string, isError: boolean) => {
    status.textContent = text;
    status.className = isError ? "error" : "";
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    send.disabled = true;
    say("Sending…", false);
    try {
      const body: Record<string, string> = { name: name.value, message: message.value };
      if (contact.value.trim()) body.contact = contact.value.trim();
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (res.status === 202) {
        form.reset();
        say("Thanks! Your message was received; we will get back to you soon.", false);
      } else {
        const answer = await res.json().catch(() => null);
        say(answer?.error?.message ?? `Your message could not be sent (${res.status}).`, true);
      }
    } catch {
      say("Your message could not be sent: the network failed. Please try again.", true);
    } finally {
      send.disabled = false;
    }
  });

  wrap.append(form, toggle);
  root.append(style, wrap);
  document.body.append(host);
}

if (publicKey && endpoint) {
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
}
