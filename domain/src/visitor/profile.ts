// What a visitor tells about itself (name, email, phone, free attributes), with the limits
// PROTOCOL "Names and profiles" sets; the codecs' names are the rules that error messages quote.
import * as t from 'io-ts';

const boundedString = (max: number, rule: string) => t.refinement(t.string, (s) => s.length <= max, rule);

export const ATTRIBUTES_MAX = 50;
export const ATTRIBUTE_KEY_MAX = 64;
export const ATTRIBUTE_VALUE_MAX = 1000;

/** At most 50 string values, keys 1-64 characters, values up to 1,000. */
export const VisitorAttributes = t.refinement(
  t.record(t.string, t.string),
  (r) => {
    const entries = Object.entries(r);
    return (
      entries.length <= ATTRIBUTES_MAX &&
      entries.every(
        ([key, value]) => key.length >= 1 && key.length <= ATTRIBUTE_KEY_MAX && value.length <= ATTRIBUTE_VALUE_MAX,
      )
    );
  },
  `must be an object of at most ${ATTRIBUTES_MAX} string values, keys 1-${ATTRIBUTE_KEY_MAX} characters, values up to 1,000`,
);
export type VisitorAttributes = t.TypeOf<typeof VisitorAttributes>;

export const VisitorName = boundedString(200, 'must be a string of at most 200 characters');
export const VisitorEmail = t.refinement(
  t.string,
  (s) => s.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(s),
  'must be an email address of at most 254 characters',
);
export const VisitorPhone = t.refinement(
  t.string,
  (s) => /^\+?[0-9 ().-]{3,32}$/.test(s),
  'must be a phone number of 3-32 digits, spaces, dashes, dots or brackets, with an optional leading +',
);
export const PageUrl = boundedString(2000, 'must be a string of at most 2,000 characters');

/** The profile fields; any subset. */
export const VisitorProfile = t.partial({
  name: VisitorName,
  email: VisitorEmail,
  phone: VisitorPhone,
  attributes: VisitorAttributes,
});
export type VisitorProfile = t.TypeOf<typeof VisitorProfile>;

export const PROFILE_FIELDS = ['name', 'email', 'phone', 'attributes'] as const;
