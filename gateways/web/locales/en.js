// The pages' strings in en (see ../i18n.js). Keys are the same in every language; a key missing
// here falls back to English. Sections: `common` (every page), `widget`, `console`, `admin`.
export default {
  common: {
    language: 'Language',
  },

  // ---- widget.html / widget.js
  widget: {},

  // ---- console.html / console.js
  console: {},

  // ---- admin.html / admin.js
  admin: {},
};
