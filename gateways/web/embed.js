// The widget on a company's own site: one script tag puts a chat bubble in the corner that
// opens the widget in a frame served by this gateway.
//
//   <script src="https://chat.example.com/embed.js" data-company="acme" async></script>
//
// Attributes: data-company (required), data-label (the bubble's accessible name), and what the
// agents may know of the visitor: data-name, data-email, data-phone. Or, set before the tag:
//
//   window.CSChat = { company: 'acme', name: 'Li Lei', email: '...', phone: '...', attributes: { plan: 'gold' } };
//
// (attributes: at most 50 string values). The profile and the page's address go to the widget
// after `#` in the frame's address, which browsers never send to a server.
(() => {
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement)) return;
  const origin = new URL(script.src).origin;
  /** @type {Record<string, unknown>} */
  const config =
    typeof window['CSChat'] === 'object' && window['CSChat'] !== null ? /** @type {any} */ (window['CSChat']) : {};
  const pick = (key) => {
    const value = script.dataset[key] ?? config[key];
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const company = pick('company') || 'demo';
  // This script runs on the company's page, not as a module: the bubble's two words are here, in
  // the browser's language as the widget speaks it.
  const chinese = /^zh\b/i.test(navigator.language || document.documentElement.lang || '');
  const label = pick('label') || (chinese ? '联系客服' : 'Chat with us');

  const profile = new URLSearchParams();
  for (const key of ['name', 'email', 'phone']) {
    const value = pick(key);
    if (value) profile.set(key, value);
  }
  if (config.attributes !== null && typeof config.attributes === 'object')
    profile.set('attributes', JSON.stringify(config.attributes));
  profile.set('pageUrl', location.href);

  const style = document.createElement('style');
  style.textContent = `
    .cschat-bubble { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%;
      border: 0; background: #2563eb; color: #fff; font-size: 26px; cursor: pointer; z-index: 2147483000;
      display: flex; align-items: center; justify-content: center; padding: 0;
      box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .cschat-bubble:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
    .cschat-frame { position: fixed; right: 20px; bottom: 88px; width: 370px; height: min(600px, calc(100vh - 110px));
      border: 0; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.25); z-index: 2147483000; background: #fff; }
    .cschat-frame[hidden] { display: none; }
    @media (max-width: 480px) {
      .cschat-frame { right: 0; bottom: 0; width: 100vw; height: calc(100vh - 80px); border-radius: 0; }
    }`;
  document.head.append(style);

  const frame = document.createElement('iframe');
  frame.className = 'cschat-frame';
  frame.title = label;
  frame.hidden = true;
  frame.src = `${origin}/widget.html?company=${encodeURIComponent(company)}#${profile}`;

  const bubble = document.createElement('button');
  bubble.type = 'button';
  bubble.className = 'cschat-bubble';
  bubble.setAttribute('aria-label', label);
  bubble.setAttribute('aria-expanded', 'false');
  // Drawn, not an emoji: not every system has a font with one.
  const icon = (open) =>
    open
      ? '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18" stroke="currentColor" stroke-width="2.5" stroke-linecap="round"/></svg>'
      : '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/>' +
        '<circle cx="7.5" cy="11" r="1.5" fill="#2563eb"/><circle cx="12" cy="11" r="1.5" fill="#2563eb"/>' +
        '<circle cx="16.5" cy="11" r="1.5" fill="#2563eb"/></svg>';
  bubble.innerHTML = icon(false);
  bubble.addEventListener('click', () => {
    frame.hidden = !frame.hidden;
    bubble.setAttribute('aria-expanded', String(!frame.hidden));
    bubble.innerHTML = icon(!frame.hidden);
    if (!frame.hidden) frame.focus();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !frame.hidden) bubble.click();
  });
  document.body.append(frame, bubble);
})();
