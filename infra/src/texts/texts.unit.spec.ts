import { placeholdersOf, say, TEXTS, type TextKey } from './index';

describe("the server's own texts", () => {
  const keys = (language: keyof typeof TEXTS) => Object.keys(TEXTS[language]).sort();

  it('has the same keys in every language, none of them empty', () => {
    expect(keys('zh-CN')).toEqual(keys('en'));
    for (const texts of Object.values(TEXTS)) for (const text of Object.values(texts)) expect(text.trim()).not.toBe('');
  });

  it('has the same placeholders in every language', () => {
    for (const key of keys('en') as TextKey[])
      expect([key, placeholdersOf(TEXTS['zh-CN'][key])]).toEqual([key, placeholdersOf(TEXTS.en[key])]);
    expect(placeholdersOf(TEXTS.en.notUnderstoodList)).toEqual(['suggestions']);
  });

  it('writes the Chinese texts in Chinese, with full-width punctuation', () => {
    for (const text of Object.values(TEXTS['zh-CN'])) {
      expect(text).toMatch(/\p{Script=Han}/u);
      expect(text.replace(/\{\{\w+\}\}/g, '')).not.toMatch(/[,?!:;]/);
    }
  });

  it('fills the placeholders, and leaves one without a value as it is', () => {
    expect(say('en', 'notUnderstoodList', { suggestions: '• a\n• b' })).toBe(
      "Sorry, I didn't understand that. You could try one of these:\n• a\n• b",
    );
    expect(say('zh-CN', 'notUnderstoodList', { suggestions: '• 怎么退货？' })).toBe(
      '抱歉，我没有理解您的问题。您可以试试以下问题：\n• 怎么退货？',
    );
    expect(say('en', 'notUnderstoodList')).toContain('{{suggestions}}');
    expect(say('zh-CN', 'transfer')).toBe('好的，正在为您转接人工客服，请稍候。');
  });
});
