// The pages' strings in en (see ../i18n.js). Keys are the same in every language; a key missing
// here falls back to English. Sections: `common` (every page), `widget`, `console`, `admin`.
export default {
  common: {
    language: 'Language',
  },

  // ---- widget.html / widget.js
  widget: {
    pageTitle: 'Chat with us',
    title: 'Customer service',
    connection: {
      connecting: 'Connecting…',
      online: 'Online',
      offline: 'Offline',
      reconnecting: 'Reconnecting…',
      unavailable: 'Unavailable',
    },
    conversation: 'Conversation',
    suggested: 'Suggested questions',
    ask: 'Ask: {{question}}',
    message: 'Your message',
    placeholder: 'Type your message…',
    send: 'Send',
    attach: 'Attach a file or photo',
    human: 'Talk to a human',
    end: 'End chat',
    who: { visitor: 'You', bot: 'Assistant', agent: 'Agent', system: 'System' },
    said: '{{who}} said: {{text}}',
    notSent: 'not sent: {{reason}}',
    read: 'Read',
    typing: '{{name}} is typing…',
    typingAgent: 'The agent is typing…',
    state: {
      queued: 'Waiting for an agent…',
      queuedAt: 'Waiting for an agent: you are number {{position}} in line.',
      assigned: 'An agent has joined the chat.',
      assignedNamed: 'Agent {{name}} joined the chat.',
      ended: 'The chat has ended.',
      endedWhy: 'The chat has ended ({{reason}}).',
      closedHours: 'We are closed right now; leave a message and we will answer when we are back.',
    },
    reason: {
      visitor: 'you left',
      agent: 'the agent ended it',
      timeout: 'no activity',
      system: 'closed by the system',
    },
    askingHuman: 'Asking for a human…',
    humanFailed: 'Could not reach a human: {{message}}',
    notConnectedEnd: 'Not connected: the chat was not ended. Please try again in a moment.',
    error: 'Error: {{message}}',
    deliveryFailed: 'A message could not be delivered: {{reason}}',
    noCompany: 'This chat is not available: there is no company “{{company}}”. Please check the address of the page.',
    attachment: {
      uploading: 'Sending {{name}}…',
      tooLarge: '“{{name}}” is too large to send.',
      refusedType: '“{{name}}” cannot be sent: files of this type are not accepted. Photos, PDFs and documents are.',
      unavailable: 'Sending files is not available here.',
      failed: '“{{name}}” could not be sent ({{status}}). Please try again.',
      notConnected: 'Not connected: the file was not sent. Please try again in a moment.',
      pasted: 'pasted image',
      openImage: 'Open the photo {{name}}',
      imageAlt: 'Photo: {{name}}',
      download: 'Download {{name}} ({{size}})',
      files: 'Attachments: {{names}}',
    },
    index: {
      title: 'Customer service chat',
      widget: 'Visitor chat widget',
      widgetNote: '(company demo)',
      console: 'Agent console',
      admin: 'Administration',
      adminNote: '(company admins)',
      embedTitle: 'On your own site',
      embedText: 'One script tag puts the chat bubble in the corner of any page (this one has it):',
      profileText:
        'To tell the agents who is writing, add data-name, data-email and data-phone to the tag, or set window.CSChat before it:',
    },
  },

  // ---- console.html / console.js
  console: {},

  // ---- admin.html / admin.js
  admin: {},
};
