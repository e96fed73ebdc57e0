// The pages' strings in zh-CN (see ../i18n.js). Keys are the same in every language; a key missing
// here falls back to English. Sections: `common` (every page), `widget`, `console`, `admin`.
export default {
  common: {
    language: '语言',
  },

  // ---- widget.html / widget.js
  widget: {
    pageTitle: '联系我们',
    title: '在线客服',
    connection: {
      connecting: '正在连接…',
      online: '在线',
      offline: '已断开',
      reconnecting: '正在重新连接…',
      unavailable: '无法使用',
    },
    conversation: '对话内容',
    suggested: '猜你想问',
    ask: '提问：{{question}}',
    message: '您的消息',
    placeholder: '请输入您的问题…',
    send: '发送',
    attach: '发送文件或图片',
    human: '转人工客服',
    end: '结束对话',
    who: { visitor: '我', bot: '智能助手', agent: '客服', system: '系统' },
    said: '{{who}}：{{text}}',
    notSent: '未发送：{{reason}}',
    read: '已读',
    typing: '{{name}} 正在输入…',
    typingAgent: '客服正在输入…',
    state: {
      queued: '正在为您转接人工客服，请稍候…',
      queuedAt: '正在排队等待人工客服，您排在第 {{position}} 位。',
      assigned: '人工客服已接入。',
      assignedNamed: '客服 {{name}} 已接入。',
      ended: '对话已结束。',
      endedWhy: '对话已结束（{{reason}}）。',
      closedHours: '现在不在服务时间。请留言，我们上班后会尽快回复您。',
    },
    reason: {
      visitor: '您已离开',
      agent: '客服结束了对话',
      timeout: '长时间没有消息',
      system: '系统关闭了对话',
    },
    askingHuman: '正在为您转接人工客服…',
    humanFailed: '暂时无法转接人工客服：{{message}}',
    notConnectedEnd: '网络未连接，对话没有结束，请稍后再试。',
    error: '出错了：{{message}}',
    deliveryFailed: '有一条消息未能送达：{{reason}}',
    noCompany: '此聊天无法使用：没有“{{company}}”这家公司。请检查页面地址。',
    attachment: {
      uploading: '正在发送 {{name}}…',
      tooLarge: '“{{name}}”太大，无法发送。',
      refusedType: '无法发送“{{name}}”：不支持这种类型的文件。可以发送图片、PDF 和文档。',
      unavailable: '这里暂不支持发送文件。',
      failed: '“{{name}}”发送失败（{{status}}），请重试。',
      notConnected: '网络未连接，文件没有发出，请稍后再试。',
      pasted: '粘贴的图片',
      openImage: '查看图片 {{name}}',
      imageAlt: '图片：{{name}}',
      download: '下载 {{name}}（{{size}}）',
      files: '附件：{{names}}',
    },
    index: {
      title: '在线客服系统',
      widget: '访客聊天窗口',
      widgetNote: '（公司 demo）',
      console: '客服工作台',
      admin: '管理后台',
      adminNote: '（公司管理员使用）',
      embedTitle: '放到您自己的网站上',
      embedText: '只需一个 script 标签，就能在任意页面的右下角放上聊天按钮（本页就有）：',
      profileText:
        '想让客服知道是谁在咨询，可以在标签上加 data-name、data-email 和 data-phone，或在它之前设置 window.CSChat：',
    },
  },

  // ---- console.html / console.js
  console: {},

  // ---- admin.html / admin.js
  admin: {},
};
