// Held-out evaluation set for the demo knowledge base (scripts/src/demo-knowledge.ts).
// Written by hand without seeing the matcher or the tuning set (evaluation.data.ts), so it measures
// how the bot copes with phrasing nobody tuned for. Do not tune the matcher against these cases.
// Categories (70 cases):
// - FAQ (45): 2-3 paraphrased visitor questions per DEMO_FAQ key, each clearly about exactly one key.
// - transfer (15): requests for a human, in Chinese, English and mixed, with typos, polite and angry.
// - none (10): chit-chat, general knowledge and products the shop does not cover; no FAQ keywords,
//   no request for a person.
// Style: Chinese without spaces, English, mixed Chinese-English, typos, filler words, emojis.

import type { EvaluationCase } from './evaluation.data';

export const HOLDOUT: readonly EvaluationCase[] = [
  // order_tracking
  { text: '亲，我前天下的单现在到哪儿了呀？物流信息一直没动', expect: 'order_tracking' },
  {
    text: "um where's my package at?? ordered last monday and the tracking page shows nothing",
    expect: 'order_tracking',
  },
  { text: '我的order显示已发货，但是tracking number在哪里看', expect: 'order_tracking' },

  // shipping_time
  { text: '请问一下今天下单的话大概几天能收到？我在杭州', expect: 'shipping_time' },
  { text: 'if i pay now how soon does it get here 🙏', expect: 'shipping_time' },

  // shipping_cost
  { text: '买满多少可以免邮啊', expect: 'shipping_cost' },
  { text: 'do i have to pay extra for delivery on a 50 yuan order?', expect: 'shipping_cost' },

  // international_shipping
  { text: '我在Singapore，你们能发过来吗', expect: 'international_shipping' },
  { text: 'do u guys deliver to germany? living in berlin rn', expect: 'international_shipping' },

  // return_policy
  { text: '衣服买回来不喜欢……没洗过吊牌也还在，可以寄回去吗', expect: 'return_policy' },
  { text: 'so i want to send back a jacket i bought, how does that work', expect: 'return_policy' },
  { text: '耳机还没拆封，后悔了想return，怎么操作', expect: 'return_policy' },

  // refund_timing
  { text: '退货已经寄回去三天了，钱咋还没到账', expect: 'refund_timing' },
  {
    text: 'returned my stuff last week and still no money back on my card, how long does it usually take?',
    expect: 'refund_timing',
  },
  { text: '那个refund退到微信要几天啊', expect: 'refund_timing' },

  // exchange_item
  { text: '裤子穿着小了，能换大一号的吗', expect: 'exchange_item' },
  { text: 'the dress is too big, could i swap it for an S?', expect: 'exchange_item' },

  // cancel_order
  { text: '刚刚手滑多拍了一单，还没发货能撤回吗', expect: 'cancel_order' },
  { text: 'changed my mind, pls cancel the order i placed 10 min ago', expect: 'cancel_order' },

  // change_address
  { text: '亲，收件地址填成公司的了，能改成家里的吗', expect: 'change_address' },
  { text: '下单时address打错了一个门牌号，还能update吗', expect: 'change_address' },

  // payment_methods
  { text: '可以用花呗分3期付吗', expect: 'payment_methods' },
  { text: 'do you take paypal or visa?', expect: 'payment_methods' },

  // invoice
  { text: '公司报销要发票，抬头和税号在哪填', expect: 'invoice' },
  { text: 'need a receipt with our company tax id for expenses, where do i request that?', expect: 'invoice' },

  // account_login
  { text: '密码想不起来了，账号进不去😭', expect: 'account_login' },
  { text: 'cant sign in, keeps saying wrong password and now its locked', expect: 'account_login' },

  // membership_points
  { text: '我攒的积分能抵多少钱啊', expect: 'membership_points' },
  { text: 'do my reward points expire at some point?', expect: 'membership_points' },

  // coupon_issue
  { text: '领的满减券结算的时候一直用不上是怎么回事', expect: 'coupon_issue' },
  { text: '邮件里的discount code输进去显示无效', expect: 'coupon_issue' },

  // warranty_repair
  { text: '买的蓝牙音箱用了三个月就没声音了，还在保修期吗', expect: 'warranty_repair' },
  { text: 'my laptop screen died after 6 months of use, can you guys fix it?', expect: 'warranty_repair' },
  { text: '笔记本的warranty是几年的', expect: 'warranty_repair' },

  // damaged_item
  { text: '快递刚到，打开一看屏幕碎了', expect: 'damaged_item' },
  { text: 'you sent me the wrong thing, i ordered a phone case and got a charger', expect: 'damaged_item' },
  { text: '包裹里少了一件，订了两条裤子只收到一条', expect: 'damaged_item' },

  // service_hours
  { text: '客服晚上几点下班啊', expect: 'service_hours' },
  { text: '上海的store周末几点关门', expect: 'service_hours' },

  // contact_phone
  { text: '有没有能打的电话，号码发我一下', expect: 'contact_phone' },
  { text: 'is there an email i can write to?', expect: 'contact_phone' },

  // price_protection
  { text: '我上周买的耳机今天便宜了50块，能退差价吗', expect: 'price_protection' },
  {
    text: "bought a tv 3 days ago and now it's on sale for less 😤 can i get the difference back?",
    expect: 'price_protection',
  },

  // restock
  { text: '那款卫衣M码一直显示售罄，啥时候有货啊', expect: 'restock' },
  { text: 'when will the white sneakers be available again? been waiting forever', expect: 'restock' },

  // transfer
  { text: '机器人听不懂，帮我转个人工吧', expect: 'transfer' },
  { text: '能不能让真人来回答我', expect: 'transfer' },
  { text: '麻烦帮我接通一下客服人员', expect: 'transfer' },
  { text: '你们有活人吗？？别再自动回复了', expect: 'transfer' },
  { text: '转仁工！！', expect: 'transfer' },
  { text: '我要跟客服小姐姐说话', expect: 'transfer' },
  { text: '说了半天没用，叫你们的工作人员出来！😡', expect: 'transfer' },
  { text: 'can i chat with an actual human pls', expect: 'transfer' },
  { text: 'this bot is useless, get me a person NOW', expect: 'transfer' },
  { text: 'Could you please connect me with a member of your staff?', expect: 'transfer' },
  { text: 'humen agnet plz', expect: 'transfer' },
  { text: "I'd like to speak with a representative, please.", expect: 'transfer' },
  { text: '我要找real person，bot回答不了', expect: 'transfer' },
  { text: 'pls转人工 急', expect: 'transfer' },
  { text: '能connect一下live客服吗', expect: 'transfer' },

  // none
  { text: '明天北京会下雨吗', expect: 'none' },
  { text: 'who wrote pride and prejudice?', expect: 'none' },
  { text: '给我讲个笑话呗', expect: 'none' },
  { text: '你们有卖宠物food吗？我家猫最近挑食', expect: 'none' },
  { text: 'do you sell car tyres?', expect: 'none' },
  { text: '帮我写一首关于秋天的诗', expect: 'none' },
  { text: '最近有什么好看的电影推荐，movie night用', expect: 'none' },
  { text: '比特币最近涨了没', expect: 'none' },
  { text: '你是chatgpt吗', expect: 'none' },
  { text: 'how do i cook rice in a microwave lol', expect: 'none' },
];
