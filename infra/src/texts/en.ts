// What the server says on its own, in English: the bot's fixed replies (the FAQ's and intents'
// answers are the company's own words). Same keys as ./zh-CN.ts; `{{name}}` placeholders are
// filled by `say` (./index.ts).
export const en = {
  /** The bot hands the visitor to a human. */
  transfer: 'Sure, connecting you to a human agent. One moment please.',
  /** The bot heard a goodbye and asks before the visitor ends (unless the intent has its own answer). */
  askEnd: 'Is there anything else I can help you with? If not, you can end the chat.',
  /** The label of the `session.end` button offered with `askEnd`. */
  endLabel: 'End chat',
  /** For a channel visitor, who has no button: the word that ends the chat (one of the end words). */
  endByWord: 'To end the chat, reply "end".',
  /** Not understood, to a web visitor: the suggestions come as buttons under it. */
  notUnderstood: "Sorry, I didn't understand that. You could try one of the suggestions below.",
  /** Not understood, to a channel visitor, who has no buttons: the suggestions follow as lines of text. */
  notUnderstoodList: "Sorry, I didn't understand that. You could try one of these:\n{{suggestions}}",
  /** Not understood and nothing to suggest. */
  notUnderstoodNothing: "Sorry, I didn't understand that. Could you put it another way?",
  /** Offer of a human, to a web visitor (the widget has the button). */
  offerHuman: 'If you would like a person to help, press "Talk to a human".',
  /** Offer of a human, to a channel visitor: the words the bot takes as a request for one. */
  offerHumanByWord: 'If you would like a person to help, reply "human".',
  /** After the end, to a channel visitor (no stars to click): the satisfaction question, answered by a digit. */
  csatQuestion: 'How did we do? Reply with a number from 1 (bad) to 5 (great).',
  /** A channel visitor's rating was taken. */
  csatThanks: 'Thank you for your feedback!',
} as const;
