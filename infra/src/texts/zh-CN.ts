// What the server says on its own, in Simplified Chinese. Same keys as ./en.ts (the type `Texts`
// in ./index.ts makes a missing or extra key fail the typecheck); same placeholders.
import type { Texts } from './index';

export const zhCN: Texts = {
  transfer: '好的，正在为您转接人工客服，请稍候。',
  askEnd: '还有其他可以帮您的吗？如果没有，可以结束对话。',
  endLabel: '结束对话',
  endByWord: '如需结束对话，请回复「结束」。',
  notUnderstood: '抱歉，我没有理解您的问题。您可以试试下面的问题。',
  notUnderstoodList: '抱歉，我没有理解您的问题。您可以试试以下问题：\n{{suggestions}}',
  notUnderstoodNothing: '抱歉，我没有理解您的问题，可以换个说法吗？',
  offerHuman: '如需人工帮助，请点击「人工客服」。',
  offerHumanByWord: '如需人工帮助，请回复「转人工」。',
  csatQuestion: '您对本次服务满意吗？请回复 1（很差）到 5（很好）之间的数字。',
  csatThanks: '感谢您的评价！',
};
