// The demo company's knowledge base: an online shop selling electronics and clothing.
// Visitors write in simplified Chinese, English or both; questions alternate between the two languages,
// alternatives cover both, and every answer gives the Chinese text first, then the English one.

export interface DemoFaq {
  readonly key: string;
  readonly question: string;
  readonly alternatives: readonly string[];
  readonly answer: string;
  readonly tags: readonly string[];
}

export const DEMO_FAQ: readonly DemoFaq[] = [
  {
    key: 'order_tracking',
    question: '我的订单到哪里了？',
    alternatives: [
      'Where is my order?',
      'Where is my parcel?',
      'track my order',
      '查快递',
      '物流查询',
      '快递到哪了',
      'order status',
    ],
    answer:
      '在"我的订单"中打开该订单即可查看快递公司、运单号和实时物流。发货后 2 小时内会有物流信息；超过 48 小时没有更新，请告诉我们订单号。\n' +
      'Open the order under "My orders" to see the carrier, the tracking number and live tracking. Tracking appears within 2 hours of dispatch; if it has not moved for 48 hours, send us your order number.',
    tags: ['order', 'shipping', 'tracking'],
  },
  {
    key: 'shipping_time',
    question: 'How long does delivery take?',
    alternatives: [
      '多久能到',
      '几天到货',
      '发货要多久',
      'delivery time',
      'when will it ship',
      'how many days for shipping',
    ],
    answer:
      '每天 16:00 前付款的订单当天发货。中国大陆标准快递 2-4 个工作日送达，新疆、西藏等偏远地区 5-7 个工作日；顺丰加急在主要城市次日达。\n' +
      'Orders paid before 16:00 ship the same day. Standard delivery in mainland China takes 2-4 business days, 5-7 business days to remote regions such as Xinjiang and Tibet; SF Express next-day delivery is available in major cities.',
    tags: ['shipping', 'delivery'],
  },
  {
    key: 'shipping_cost',
    question: '运费怎么算？多少钱包邮？',
    alternatives: [
      '运费多少',
      '包邮吗',
      '免运费',
      'shipping cost',
      'is shipping free?',
      'free shipping threshold',
      'delivery fee',
    ],
    answer:
      '实付满 ¥99 包邮（中国大陆）；不满 ¥99 收取运费 ¥8。顺丰加急另加 ¥15。金卡及以上会员全年包邮。\n' +
      'Shipping is free in mainland China on orders of ¥99 or more; below ¥99 it costs ¥8. SF Express next-day delivery is ¥15 extra. Gold members and above always get free shipping.',
    tags: ['shipping', 'price'],
  },
  {
    key: 'international_shipping',
    question: 'Do you ship internationally?',
    alternatives: [
      '能寄到国外吗',
      '国际配送',
      '海外发货',
      '可以寄到香港吗',
      'ship to other countries',
      'overseas delivery',
      'international delivery',
    ],
    answer:
      '可以。我们寄往港澳台、新加坡、马来西亚、日本、韩国、澳大利亚、美国、加拿大、英国和欧盟，7-15 个工作日送达，运费 ¥60 起，结算时按重量计算。关税和进口税由收件人承担。\n' +
      'Yes. We ship to Hong Kong, Macau, Taiwan, Singapore, Malaysia, Japan, South Korea, Australia, the US, Canada, the UK and the EU in 7-15 business days. Shipping starts at ¥60 and is calculated by weight at checkout. Customs duties and import taxes are paid by the recipient.',
    tags: ['shipping', 'international'],
  },
  {
    key: 'return_policy',
    question: '怎么退货？',
    alternatives: [
      '退货流程',
      '退货政策',
      '七天无理由退货',
      '不想要了能退吗',
      'How do I return an item?',
      'return policy',
      'can I return it',
    ],
    answer:
      '签收后 30 天内可退货：服装需吊牌完好、未穿着未洗涤；电子产品需未拆封，有质量问题的除外。在"我的订单"中选择商品，点击"申请售后" → "退货"，我们会免费安排快递上门取件。\n' +
      'You can return items within 30 days of delivery: clothing unworn, unwashed and with tags on; electronics unopened unless faulty. In "My orders" choose the item, then "After-sales" → "Return", and we send a courier to pick it up for free.',
    tags: ['return', 'after-sales'],
  },
  {
    key: 'refund_timing',
    question: 'When will I get my refund?',
    alternatives: [
      '退款多久到账',
      '退款什么时候到',
      '钱什么时候退回来',
      '退款进度',
      'refund time',
      'how long does a refund take',
      'refund status',
    ],
    answer:
      '仓库收到退货后 2 个工作日内完成验收并发起退款，原路退回：支付宝、微信 1-3 个工作日到账，银行卡 3-7 个工作日。未发货订单取消后 24 小时内退款。\n' +
      'Once the warehouse receives your return, we check it and issue the refund within 2 business days, to the original payment method: Alipay and WeChat Pay take 1-3 business days, bank cards 3-7 business days. Orders cancelled before dispatch are refunded within 24 hours.',
    tags: ['refund', 'after-sales', 'payment'],
  },
  {
    key: 'exchange_item',
    question: '可以换尺码或颜色吗？',
    alternatives: [
      '换货',
      '换尺码',
      '换颜色',
      '尺码不合适',
      'exchange size',
      'exchange for a different colour',
      'wrong size, can I swap it?',
    ],
    answer:
      '可以。签收后 30 天内，服装可免费换尺码或颜色一次（视库存而定）。在"我的订单"中点击"申请售后" → "换货"，选择新的尺码或颜色；我们收到原商品后 1 个工作日内寄出新商品。\n' +
      'Yes. Within 30 days of delivery you can exchange clothing for another size or colour once, free of charge, while stock lasts. In "My orders" choose "After-sales" → "Exchange" and pick the new size or colour; we ship the new item within 1 business day of receiving the old one.',
    tags: ['exchange', 'after-sales', 'clothing'],
  },
  {
    key: 'cancel_order',
    question: 'How do I cancel my order?',
    alternatives: ['取消订单', '订单能取消吗', '不想买了怎么取消', '撤销订单', 'cancel order', 'cancel my purchase'],
    answer:
      '订单发货前，在"我的订单"中点击"取消订单"即可，款项 24 小时内原路退回。已发货的订单无法取消，可拒收或签收后申请退货。\n' +
      'Before the order ships, open it in "My orders" and tap "Cancel order"; the money goes back to your original payment method within 24 hours. Once shipped, an order cannot be cancelled: refuse the delivery or return it after it arrives.',
    tags: ['order', 'cancel'],
  },
  {
    key: 'change_address',
    question: '怎么修改收货地址？',
    alternatives: [
      '改地址',
      '地址写错了',
      '修改收件地址',
      'change delivery address',
      'update shipping address',
      'wrong address',
    ],
    answer:
      '发货前，在"我的订单"中选择订单，点击"修改地址"即可，每个订单可修改 1 次。已发货的订单请把订单号和新地址发给我们，我们会联系快递改派（可能产生 ¥5-10 改派费）。\n' +
      'Before the order ships, choose it in "My orders" and tap "Change address"; each order can be changed once. If it has already shipped, send us the order number and the new address and we ask the carrier to redirect it (the carrier may charge ¥5-10).',
    tags: ['order', 'address', 'shipping'],
  },
  {
    key: 'payment_methods',
    question: 'What payment methods do you accept?',
    alternatives: [
      '支付方式',
      '怎么付款',
      '支持支付宝吗',
      '可以用微信支付吗',
      '分期付款',
      'payment options',
      'can I pay by credit card?',
    ],
    answer:
      '支持支付宝、微信支付、银联卡、Visa / Mastercard 信用卡和花呗分期（3、6、12 期）；海外订单还支持 PayPal。暂不支持货到付款。\n' +
      'We accept Alipay, WeChat Pay, UnionPay cards, Visa and Mastercard credit cards and Huabei instalments (3, 6 or 12 months); overseas orders can also pay with PayPal. Cash on delivery is not available.',
    tags: ['payment'],
  },
  {
    key: 'invoice',
    question: '怎么开发票？',
    alternatives: ['开发票', '电子发票', '增值税专用发票', 'invoice', 'can I get an invoice?', 'fapiao', 'VAT invoice'],
    answer:
      '下单时或签收后 90 天内，在"我的订单"中点击"申请发票"，填写抬头和税号。普通电子发票免费，3 个工作日内发送到您的邮箱；企业可申请增值税专用发票，纸质发票随后寄出。\n' +
      'At checkout, or within 90 days of delivery, tap "Request invoice" in "My orders" and enter the title and tax ID. A standard electronic fapiao is free and emailed within 3 business days; companies can ask for a special VAT fapiao, which is posted on paper.',
    tags: ['invoice', 'fapiao', 'payment'],
  },
  {
    key: 'account_login',
    question: 'I forgot my password, how do I log in?',
    alternatives: [
      '忘记密码',
      '登录不了',
      '登不上',
      '修改密码',
      '账号被锁了',
      'reset password',
      "can't log in",
      'login problem',
    ],
    answer:
      '在登录页点击"忘记密码"，输入注册手机号，获取短信验证码（10 分钟内有效）后设置新密码。连续输错 5 次密码账号会被锁定 30 分钟。收不到验证码请检查是否被拦截，60 秒后可重新发送。\n' +
      'On the login page tap "Forgot password", enter the mobile number of the account and set a new password with the SMS code (valid for 10 minutes). After 5 wrong passwords in a row the account is locked for 30 minutes. No code? Check your SMS filter; you can ask for a new one after 60 seconds.',
    tags: ['account', 'login'],
  },
  {
    key: 'membership_points',
    question: '会员积分怎么用？',
    alternatives: [
      '积分',
      '积分怎么兑换',
      '会员等级',
      '积分过期',
      'membership points',
      'loyalty points',
      'how to use points',
    ],
    answer:
      '每消费 ¥1 得 1 积分。结算时 100 积分抵 ¥1，最多抵扣订单金额的 50%。积分有效期到次年 12 月 31 日。年消费满 ¥2,000 升级金卡，满 ¥8,000 升级钻石卡。\n' +
      'You earn 1 point per ¥1 spent. At checkout 100 points take ¥1 off, up to 50% of the order. Points are valid until 31 December of the following year. Spending ¥2,000 in a year makes you a Gold member, ¥8,000 a Diamond member.',
    tags: ['membership', 'points'],
  },
  {
    key: 'coupon_issue',
    question: "Why doesn't my coupon code work?",
    alternatives: [
      '优惠券用不了',
      '优惠码无效',
      '折扣码',
      '优惠券',
      'coupon not working',
      'discount code invalid',
      'promo code',
    ],
    answer:
      '请检查：① 是否达到使用门槛（如满 ¥199 减 ¥20）；② 是否已过期；③ 是否限定品类；④ 每单只能用 1 张券，且不能用于秒杀商品。优惠码区分大小写。仍无法使用，请发送截图给我们。\n' +
      'Please check: 1) the minimum spend (e.g. ¥20 off ¥199); 2) the expiry date; 3) category limits; 4) one coupon per order, not valid on flash-sale items. Codes are case-sensitive. If it still fails, send us a screenshot.',
    tags: ['coupon', 'discount', 'payment'],
  },
  {
    key: 'warranty_repair',
    question: '产品保修多久？坏了怎么修？',
    alternatives: ['保修', '质保', '维修', '坏了能修吗', '售后维修', 'warranty', 'repair', 'how long is the warranty?'],
    answer:
      '电子产品享受 1 年保修（笔记本电脑 2 年），签收后 15 天内出现质量问题可直接换新；服装 90 天内出现质量问题（开线、脱胶等）可退换。在"我的订单"中点击"申请售后" → "维修"，保修期内往返运费由我们承担，维修约 7-10 个工作日。\n' +
      'Electronics have a 1-year warranty (laptops 2 years), and faults within 15 days of delivery get a new replacement; clothing with quality defects (seams, glue) can be returned or exchanged within 90 days. In "My orders" choose "After-sales" → "Repair"; under warranty we pay shipping both ways and repairs take about 7-10 business days.',
    tags: ['warranty', 'repair', 'after-sales', 'electronics'],
  },
  {
    key: 'damaged_item',
    question: 'I received a damaged or wrong item',
    alternatives: [
      '收到的东西坏了',
      '发错货了',
      '商品破损',
      '少发了',
      'damaged item',
      'wrong item received',
      'item broken on arrival',
    ],
    answer:
      '非常抱歉！请在签收后 48 小时内，在"我的订单"中点击"申请售后" → "破损/错发"，上传商品和外包装照片。我们会在 1 个工作日内为您补发或全额退款，运费由我们承担。请保留原包装。\n' +
      'We are sorry! Within 48 hours of delivery, choose "After-sales" → "Damaged / wrong item" in "My orders" and upload photos of the item and the box. Within 1 business day we send a replacement or refund you in full, and we pay the shipping. Please keep the original packaging.',
    tags: ['after-sales', 'damaged', 'wrong item'],
  },
  {
    key: 'service_hours',
    question: '客服几点上班？营业时间是什么？',
    alternatives: [
      '营业时间',
      '客服时间',
      '周末上班吗',
      '门店几点开门',
      'opening hours',
      'what time are you open?',
      'customer service hours',
    ],
    answer:
      '在线客服每天 9:00-22:00（北京时间，节假日照常），其他时间机器人 24 小时为您服务。电话客服每天 9:00-21:00。上海体验店每天 10:00-22:00 营业。\n' +
      'Our agents chat every day from 9:00 to 22:00 Beijing time, holidays included; the bot answers around the clock. The phone line is open every day from 9:00 to 21:00. Our Shanghai showroom is open every day from 10:00 to 22:00.',
    tags: ['contact', 'hours'],
  },
  {
    key: 'contact_phone',
    question: 'What is your customer service phone number?',
    alternatives: [
      '客服电话',
      '电话多少',
      '客服热线',
      '联系方式',
      'hotline',
      'contact number',
      'how can I call you?',
      'email address',
    ],
    answer:
      '客服热线 400-820-1234（每天 9:00-21:00），海外请拨 +86 21 6123 4567。邮箱 support@demo-shop.example，1 个工作日内回复。\n' +
      'Call our hotline 400-820-1234 (every day 9:00-21:00), or +86 21 6123 4567 from abroad. Email support@demo-shop.example; we reply within 1 business day.',
    tags: ['contact', 'phone'],
  },
  {
    key: 'price_protection',
    question: '买了之后降价了能补差价吗？',
    alternatives: ['价格保护', '保价', '补差价', '降价了', 'price drop', 'price protection', "it's cheaper now"],
    answer:
      '可以。签收后 7 天内，同一商品在本店降价，可在"我的订单"中点击"申请价保"，差价原路退回。秒杀、直播专享价和使用优惠券后的价格不参与价保。\n' +
      'Yes. If the same item gets cheaper in our shop within 7 days of delivery, tap "Price protection" in "My orders" and the difference goes back to your original payment method. Flash sales, live-stream prices and coupon discounts are excluded.',
    tags: ['price', 'refund'],
  },
  {
    key: 'restock',
    question: 'When will a sold-out item be back in stock?',
    alternatives: ['缺货', '没货了', '什么时候补货', '到货通知', 'out of stock', 'restock', 'sold out'],
    answer:
      '热门商品一般 1-2 周补货。在商品页点击"到货通知"，补货后我们会通过短信和 App 推送通知您。缺货商品暂不支持预订或预留。\n' +
      'Popular items are usually restocked within 1-2 weeks. Tap "Notify me" on the product page and we tell you by SMS and app notification as soon as it is back. Sold-out items cannot be pre-ordered or reserved.',
    tags: ['product', 'stock'],
  },
];

export interface DemoIntent {
  readonly name: string;
  readonly phrases: readonly string[];
  readonly action: 'answer' | 'transfer' | 'end';
  readonly answer?: string;
}

export const DEMO_INTENTS: readonly DemoIntent[] = [
  {
    name: 'human',
    action: 'transfer',
    phrases: [
      '转人工',
      '人工客服',
      '人工',
      '找客服',
      '真人',
      '我要人工',
      '人工服务',
      '找个人',
      '客服在吗',
      '接人工',
      '转接客服',
      '转人工客服',
      '真人客服',
      '我要找客服',
      'talk to a human',
      'human please',
      'agent please',
      'real person',
      'customer service representative',
      'speak to someone',
      'live agent',
      'operator',
      'talk to an agent',
      'human agent',
    ],
  },
  {
    name: 'goodbye',
    action: 'end',
    // The bot asks and offers the end (a button, or an end word on a platform); the visitor ends.
    answer: '感谢您的咨询！还有其他可以帮您的吗？/ Thanks for contacting us! Is there anything else I can help with?',
    phrases: [
      '再见',
      '拜拜',
      '没问题了谢谢',
      '没有其他问题了',
      '好的就这样',
      'bye',
      'goodbye',
      "that's all thanks",
      'see you',
      'no more questions',
    ],
  },
  {
    name: 'greeting',
    action: 'answer',
    answer: '您好！请问有什么可以帮您？/ Hello! How can I help you?',
    phrases: ['你好', '您好', '在吗', '有人吗', '哈喽', 'hello', 'hi', 'hi there', 'hey', 'good morning'],
  },
  {
    name: 'thanks',
    action: 'answer',
    answer: '不客气，很高兴为您服务！/ You are welcome, happy to help!',
    phrases: ['谢谢', '多谢', '谢啦', '感谢', 'thank you', 'thanks', 'thanks a lot', 'thx'],
  },
];

/** Shown to visitors as one-tap questions; each is the `question` of a DEMO_FAQ entry. */
export const DEMO_SUGGESTED_QUESTIONS: readonly string[] = [
  '我的订单到哪里了？',
  'How do I cancel my order?',
  '怎么退货？',
  'When will I get my refund?',
  '怎么修改收货地址？',
  'What payment methods do you accept?',
];
