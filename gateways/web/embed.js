// The widget on a company's own site: one script tag puts a chat bubble in the corner that
// opens the widget in a frame served by this gateway.
//
//   <script src="https://chat.example.com/embed.js" data-company="acme" async></script>
//
// Attributes: data-company (required), data-label (the bubble's accessible name).
(() => {
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement)) return;
  const origin = new URL(script.src).origin;
  const company = script.dataset.company || 'demo';
  const label = script.dataset.label || 'Chat with us';

  const style = document.createElement('style');
  style.textContent = `
    .cschat-bubble { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%;
      border: 0; background: #2563eb; color: #fff; font-size: 26px; cursor: pointer; z-index: 2147483000;
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
  frame.src = `${origin}/widget.html?company=${encodeURIComponent(company)}`;

  const bubble = document.createElement('button');
  bubble.type = 'button';
  bubble.className = 'cschat-bubble';
  bubble.setAttribute('aria-label', label);
  bubble.setAttribute('aria-expanded', 'false');
  bubble.textContent = '💬';
  bubble.addEventListener('click', () => {
    frame.hidden = !frame.hidden;
    bubble.setAttribute('aria-expanded', String(!frame.hidden));
    bubble.textContent = frame.hidden ? '💬' : '×';
    if (!frame.hidden) frame.focus();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !frame.hidden) bubble.click();
  });
  document.body.append(frame, bubble);
})();
