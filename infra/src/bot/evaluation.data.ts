// A fixed evaluation set for the bot's matcher.
//
// Written by hand, independently of the matcher: the messages were not tuned against it, nor chosen by
// what it gets right. They are phrased as visitors write, in simplified Chinese without spaces, in English,
// or mixed in one message, with typos, filler words ("那个...", "亲，", "um hi so") and slang, and none is a
// copy of an FAQ question or alternative (sharing keywords with them is natural), so the set measures
// generalisation rather than recall of the knowledge base.
//
// Categories, by `expect`:
// - a DEMO_FAQ key (scripts/src/demo-knowledge.ts): the message asks that entry's question, 2-4 cases for each
//   entry, in both languages.
// - 'transfer': the visitor asks for a human agent, in many ways, some impatient or with typos.
// - 'none': chit-chat or questions the knowledge base does not cover; the bot must neither answer with an FAQ
//   entry nor transfer. They avoid the FAQ topics' keywords. One ("人工智能...") contains 人工 on purpose:
//   a question about AI is not a request for a human.
// - 'goodbye': the visitor is done ("bye", "没有了，谢谢"); the bot must take it for the goodbye intent (and
//   then only offers to end).
// - 'not goodbye': the visitor is not done although the message shares words with a goodbye ("one more
//   question" beside "no more questions", 还有问题 beside 没问题了) or names it ("不是再见"): more to ask,
//   something unsolved, a pause, a refusal of the end, or a question being opened ("I have a question"). The bot must not take it for the goodbye intent;
//   what else it answers is not measured here. Added with the fix for "one more question", so written
//   knowing the matcher: the held-out set has none of these.

export interface EvaluationCase {
  readonly text: string;
  // The two literals are kept as documentation: any string is accepted, but these two are not FAQ keys.
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  readonly expect: string /* a DEMO_FAQ key */ | 'transfer' | 'none' | 'goodbye' | 'not goodbye';
}

export const EVALUATION: readonly EvaluationCase[] = [
  // ---- FAQ ----
  // order_tracking
  { text: '我的order什么时候到', expect: 'order_tracking' },
  { text: '亲，我买的耳机到哪了，三天了物流都没动静', expect: 'order_tracking' },
  { text: 'hi can u check wher my package is, ordered it last week', expect: 'order_tracking' },
  { text: 'tracking number在哪里看啊', expect: 'order_tracking' },

  // shipping_time
  { text: '下单以后一般几天能收到啊', expect: 'shipping_time' },
  { text: 'if I buy today when would it arrive in beijing?', expect: 'shipping_time' },
  { text: '你们发货快不快，急用', expect: 'shipping_time' },
  { text: 'standard delivery 要几天', expect: 'shipping_time' },

  // shipping_cost
  { text: '买多少钱才能包邮呀', expect: 'shipping_cost' },
  { text: 'how much do u charge for shipping', expect: 'shipping_cost' },
  { text: '邮费要另外付吗？满多少免', expect: 'shipping_cost' },
  { text: 'postage 收多少钱', expect: 'shipping_cost' },

  // international_shipping
  { text: '能发货到美国吗', expect: 'international_shipping' },
  { text: 'do you deliver to australia?', expect: 'international_shipping' },
  { text: '我人在新加坡，下单可以寄过来吗', expect: 'international_shipping' },
  { text: 'international shiping how much and how long', expect: 'international_shipping' },

  // return_policy
  { text: '退货怎么退啊啊', expect: 'return_policy' },
  { text: 'i dont like the jacket, can i send it back?', expect: 'return_policy' },
  { text: '那个...请问一下，拆封了的耳机还能退吗', expect: 'return_policy' },
  { text: 'return 要在几天之内申请', expect: 'return_policy' },

  // refund_timing
  { text: 'refund 多久到账', expect: 'refund_timing' },
  { text: 'refund how lond', expect: 'refund_timing' },
  { text: '退货寄回去一个礼拜了，钱怎么还没退给我', expect: 'refund_timing' },
  { text: 'my money still hasnt come back after i returned the shoes', expect: 'refund_timing' },

  // exchange_item
  { text: '裤子买小了，能换大一号的吗', expect: 'exchange_item' },
  { text: 'can I swap this shirt for a medium', expect: 'exchange_item' },
  { text: '想把黑色的换成白色，怎么操作', expect: 'exchange_item' },
  { text: '衣服size不对，能换吗', expect: 'exchange_item' },

  // cancel_order
  { text: '刚下的单买错了，能不能撤回', expect: 'cancel_order' },
  { text: 'pls cancel the order i placed 10 mins ago', expect: 'cancel_order' },
  { text: '我拍错了，还没发货能取消掉吗', expect: 'cancel_order' },
  { text: 'cancle my oder', expect: 'cancel_order' },

  // change_address
  { text: '哎呀地址填错了，还能改吗', expect: 'change_address' },
  { text: 'I moved, can the parcel go to my new place instead?', expect: 'change_address' },
  { text: '收件人电话和地址想换一下', expect: 'change_address' },
  { text: 'can u change the shipping adress to my office', expect: 'change_address' },

  // payment_methods
  { text: '能用花呗吗', expect: 'payment_methods' },
  { text: 'do you take paypal', expect: 'payment_methods' },
  { text: '信用卡可以付吗，visa的', expect: 'payment_methods' },
  { text: '可以用apple pay吗', expect: 'payment_methods' },

  // invoice
  { text: '公司报销需要发票，在哪申请', expect: 'invoice' },
  { text: 'need a fapiao for my company, how?', expect: 'invoice' },
  { text: '发票抬头写错了可以重开吗', expect: 'invoice' },
  { text: 'could you send me a receipt with our tax id on it', expect: 'invoice' },

  // account_login
  { text: '账号登不进去，一直提示密码错误', expect: 'account_login' },
  { text: 'how do i reset my pasword', expect: 'account_login' },
  { text: '验证码收不到，进不了账户', expect: 'account_login' },
  { text: '密码忘了咋办', expect: 'account_login' },

  // membership_points
  { text: '我的积分能抵现金吗', expect: 'membership_points' },
  { text: 'how many points do i get per purchase', expect: 'membership_points' },
  { text: 'member points 什么时候过期', expect: 'membership_points' },

  // coupon_issue
  { text: '领的券结算的时候用不了啊', expect: 'coupon_issue' },
  { text: 'promo code says invalid at checkout??', expect: 'coupon_issue' },
  { text: '这个满减券为什么不能用在秒杀商品上', expect: 'coupon_issue' },
  { text: 'my discount code isnt applying', expect: 'coupon_issue' },

  // warranty_repair
  { text: '耳机用了两个月右边没声音了怎么办', expect: 'warranty_repair' },
  { text: 'is the laptop covered for 2 years?', expect: 'warranty_repair' },
  { text: 'my charger died after a month, is that covered', expect: 'warranty_repair' },
  { text: '保修期多长时间', expect: 'warranty_repair' },

  // damaged_item
  { text: '快递拆开屏幕就是碎的！！', expect: 'damaged_item' },
  { text: 'you sent me the wrong colour, I ordered blue', expect: 'damaged_item' },
  { text: '收到的包裹里少了一件', expect: 'damaged_item' },
  { text: 'box arrived crushed and the speaker is cracked', expect: 'damaged_item' },

  // service_hours
  { text: '你们晚上几点下班', expect: 'service_hours' },
  { text: 'are you guys open on sundays', expect: 'service_hours' },
  { text: '体验店几点关门呀', expect: 'service_hours' },
  { text: 'what time does support close today', expect: 'service_hours' },

  // contact_phone
  { text: '给个电话号码，我打过去说', expect: 'contact_phone' },
  { text: 'what number do i call for help', expect: 'contact_phone' },
  { text: '你们有没有热线啊', expect: 'contact_phone' },
  { text: 'is there an email or phone i can reach u on', expect: 'contact_phone' },

  // price_protection
  { text: '我昨天刚买今天就便宜了100块，能退差价吗', expect: 'price_protection' },
  { text: 'the price went down right after i bought it, do i get the difference back?', expect: 'price_protection' },
  { text: '保价多少天', expect: 'price_protection' },
  { text: '刚买完就降价了 so annoying，差价能补吗', expect: 'price_protection' },

  // restock
  { text: '这款卫衣M码一直显示无货，还会有吗', expect: 'restock' },
  { text: 'any idea when the black hoodie will be available again', expect: 'restock' },
  { text: '售罄了还会再上架吗', expect: 'restock' },
  { text: '这双鞋42码sold out了，啥时候有货', expect: 'restock' },

  // ---- transfer ----
  { text: '能不能帮我转人工', expect: 'transfer' },
  { text: 'I want to talk to a real person please', expect: 'transfer' },
  { text: '机器人听不懂，找客服', expect: 'transfer' },
  { text: 'agent!!', expect: 'transfer' },
  { text: '人工人工人工', expect: 'transfer' },
  { text: 'can I speak with someone from your team', expect: 'transfer' },
  { text: '你这回答的啥啊，我要找真人', expect: 'transfer' },
  { text: '亲，麻烦转一下人工客服', expect: 'transfer' },
  { text: '转人工谢谢', expect: 'transfer' },
  { text: 'hello?? is there a human there', expect: 'transfer' },
  { text: 'pls connect me to an agent', expect: 'transfer' },
  { text: 'I need a live person, the bot is useless', expect: 'transfer' },
  { text: '有没有活人啊', expect: 'transfer' },
  { text: '我不想跟机器人聊了', expect: 'transfer' },
  { text: 'get me a human', expect: 'transfer' },
  { text: '人工客服在哪里', expect: 'transfer' },
  { text: 'can i talk to customer servise', expect: 'transfer' },
  { text: '帮我接个客服吧', expect: 'transfer' },
  { text: 'representative please', expect: 'transfer' },
  { text: '我要投诉，叫你们的客服出来', expect: 'transfer' },
  { text: '转人功', expect: 'transfer' },
  { text: 'operator pls，我要人工', expect: 'transfer' },
  { text: '那个…可以找个真人客服吗', expect: 'transfer' },
  { text: 'um hi can i chat with an actual agent', expect: 'transfer' },
  { text: '你是机器人吧？换个人来跟我说', expect: 'transfer' },
  { text: '帮我转个agent', expect: 'transfer' },
  { text: 'can I 转人工 please', expect: 'transfer' },
  { text: '我要跟real person说话，不要bot', expect: 'transfer' },

  // ---- none ----
  { text: '今天天气怎么样', expect: 'none' },
  { text: '今天吃什么', expect: 'none' },
  { text: 'what is the meaning of life', expect: 'none' },
  { text: 'tell me a joke lol', expect: 'none' },
  { text: 'do you sell bicycles', expect: 'none' },
  { text: '你们有卖猫粮吗', expect: 'none' },
  { text: '给我讲个笑话吧', expect: 'none' },
  { text: 'who won the world cup in 2022', expect: 'none' },
  { text: '帮我写一首关于春天的诗', expect: 'none' },
  { text: "um hi so what's the capital of peru", expect: 'none' },
  { text: '人工智能以后会统治世界吗', expect: 'none' },
  { text: '1+1等于几', expect: 'none' },
  { text: 'recommend me a good movie for tonight', expect: 'none' },
  { text: '哈哈哈哈哈', expect: 'none' },
  { text: 'asdfghjkl', expect: 'none' },
  { text: 'are you guys hiring', expect: 'none' },
  { text: '我好无聊，陪我聊会天', expect: 'none' },
  { text: 'can you help me with my math homework', expect: 'none' },
  { text: '推荐几部好看的movie吧', expect: 'none' },
  { text: '明天上海会下雨吗 is it cold', expect: 'none' },

  // ---- goodbye ----
  { text: 'bye', expect: 'goodbye' },
  { text: "thanks, that's all", expect: 'goodbye' },
  { text: '没有了，谢谢', expect: 'goodbye' },
  { text: '再见', expect: 'goodbye' },
  { text: 'ok bye bye', expect: 'goodbye' },
  { text: "that's all i needed, thanks", expect: 'goodbye' },
  { text: '没问题了，拜拜', expect: 'goodbye' },
  { text: '好的，没有别的问题了', expect: 'goodbye' },
  { text: 'thx bye', expect: 'goodbye' },
  { text: 'no more questions, thank you', expect: 'goodbye' },
  { text: '好的谢谢，再见', expect: 'goodbye' },
  { text: 'nothing else, bye', expect: 'goodbye' },
  { text: '拜拜啦', expect: 'goodbye' },
  { text: 'ok 就这样吧 bye', expect: 'goodbye' },

  // ---- not goodbye ----
  { text: 'one more question', expect: 'not goodbye' },
  { text: 'I have one more question', expect: 'not goodbye' },
  { text: 'another question', expect: 'not goodbye' },
  { text: 'thanks, but I still have a problem', expect: 'not goodbye' },
  { text: 'wait, not yet', expect: 'not goodbye' },
  { text: 'hold on, one more thing', expect: 'not goodbye' },
  { text: 'no wait, i still need help', expect: 'not goodbye' },
  { text: 'thanks! also, can I ask something else?', expect: 'not goodbye' },
  { text: 'not done yet', expect: 'not goodbye' },
  { text: "don't close the chat please", expect: 'not goodbye' },
  { text: 'hang on, I have another question', expect: 'not goodbye' },
  { text: 'sorry, one more q', expect: 'not goodbye' },
  { text: 'I still have questions', expect: 'not goodbye' },
  { text: "a couple more questions if that's ok", expect: 'not goodbye' },
  { text: "that's not all, I have more questions", expect: 'not goodbye' },
  { text: '还有一个问题', expect: 'not goodbye' },
  { text: '我还有问题', expect: 'not goodbye' },
  { text: '谢谢，但是我的问题还没解决', expect: 'not goodbye' },
  { text: '等一下', expect: 'not goodbye' },
  { text: '不是再见', expect: 'not goodbye' },
  { text: '等等，我还有事', expect: 'not goodbye' },
  { text: '先别走，还有个问题', expect: 'not goodbye' },
  { text: '还没完，再问一下', expect: 'not goodbye' },
  { text: '问题还没解决呢', expect: 'not goodbye' },
  { text: '好的谢谢，另外想问一下', expect: 'not goodbye' },
  { text: '别结束，我还没问完', expect: 'not goodbye' },
  { text: '稍等，我再看看', expect: 'not goodbye' },
  { text: 'thanks，但是还有一个question', expect: 'not goodbye' },
  { text: 'wait 我还有问题', expect: 'not goodbye' },
  { text: '不是bye啦，one more question', expect: 'not goodbye' },
  { text: 'ok 还没结束', expect: 'not goodbye' },
  { text: 'hold on，我再问一个', expect: 'not goodbye' },
  // opening a question: "question" alone shared most of "no more questions" (0.817)
  { text: 'I have a question', expect: 'not goodbye' },
  { text: 'question', expect: 'not goodbye' },
  { text: 'a question for a person', expect: 'not goodbye' },
  { text: 'my question is about my order', expect: 'not goodbye' },
  { text: '有个问题', expect: 'not goodbye' },
  { text: '我有问题想问', expect: 'not goodbye' },
  { text: '请问一个问题', expect: 'not goodbye' },
  { text: 'quick question 关于发票', expect: 'not goodbye' },
];
