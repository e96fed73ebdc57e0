import { MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy';

describe('password policy', () => {
  it('accepts a password of 10 characters or more that is neither common nor the username', () => {
    expect(passwordProblem('correct horse battery', 'alice')).toBeUndefined();
    expect(passwordProblem('k7#Qp2!vXz', 'alice')).toBeUndefined();
    // Containing the username is allowed: PROTOCOL refuses the username itself.
    expect(passwordProblem('alice-in-wonderland-42', 'alice')).toBeUndefined();
  });

  it('refuses fewer than 10 characters, counting characters rather than UTF-16 units', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(10);
    expect(passwordProblem('x', 'alice')).toBe('must be at least 10 characters');
    expect(passwordProblem('k7#Qp2!vX', 'alice')).toBe('must be at least 10 characters');
    // Nine emoji are 18 UTF-16 units but nine characters.
    expect(passwordProblem('😀'.repeat(9), 'alice')).toBe('must be at least 10 characters');
    expect(passwordProblem('😀'.repeat(10), 'alice')).toBeUndefined();
  });

  it('refuses the username, whatever its case', () => {
    expect(passwordProblem('administrator-7', 'Administrator-7')).toBe('must not be the username');
    expect(passwordProblem('ADMINISTRATOR-7', 'administrator-7')).toBe('must not be the username');
  });

  it('refuses the common passwords of the shipped list, whatever their case', () => {
    for (const common of ['qwertyuiop', '1234567890', 'password123', 'Basketball', 'Q1W2E3R4T5'])
      expect(passwordProblem(common, 'alice')).toBe('is one of the most common passwords');
  });

  it('checks without a username (a change that does not name one, before the agent is read)', () => {
    expect(passwordProblem('long enough and rare', undefined)).toBeUndefined();
    expect(passwordProblem('short', undefined)).toBe('must be at least 10 characters');
  });
});
