import { expect } from 'chai';

describe('test harness', () => {
  it('runs TypeScript tests under mocha', () => {
    const n: number = [1, 2, 3].reduce((a, b) => a + b, 0);
    expect(n).to.equal(6);
  });
});
