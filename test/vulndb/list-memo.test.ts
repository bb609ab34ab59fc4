import { rememberedFor } from '../../lib/vulndb/list-memo';

describe('results remembered with an advisory list', () => {
  test('a result is worked out once per list and key, and a new list starts empty', () => {
    const list: unknown[] = [];
    let computed = 0;
    const compute = (value: string) => () => {
      computed++;
      return value;
    };
    expect(rememberedFor(list, 'a', compute('A'))).toBe('A');
    expect(rememberedFor(list, 'a', compute('other'))).toBe('A');
    expect(rememberedFor(list, 'b', compute('B'))).toBe('B');
    expect(rememberedFor(list, 'a', compute('other'))).toBe('A');
    expect(rememberedFor(list, 'b', compute('other'))).toBe('B');
    expect(computed).toBe(2);
    expect(rememberedFor([], 'a', compute('fresh'))).toBe('fresh');
  });

  test('at most four results a list: the oldest makes room', () => {
    const list: unknown[] = [];
    for (const key of ['1', '2', '3', '4', '5']) rememberedFor(list, key, () => `first ${key}`);
    expect(rememberedFor(list, '1', () => 'again 1')).toBe('again 1');
    expect(rememberedFor(list, '5', () => 'again 5')).toBe('first 5');
    expect(rememberedFor(list, '4', () => 'again 4')).toBe('first 4');
  });
});
