// The index page: its language switch, and the embedding code written with this server's address.
import { bindLanguageSwitch } from './i18n.js';

bindLanguageSwitch(/** @type {HTMLSelectElement} */ (document.getElementById('language')));
for (const code of document.querySelectorAll('#embed-code, #profile-code'))
  code.textContent = (code.textContent ?? '').replaceAll('http://this-server', location.origin);
