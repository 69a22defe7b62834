import { describe, expect, it } from 'vitest'
import { booleanArrayLiteral, nullableNumberArrayLiteral, numberArrayLiteral, textArrayLiteral } from './array-literal.js'

describe('array literals', () => {
  it('quote every text element and escape only quotes and backslashes', () => {
    expect(textArrayLiteral(['NULL', 'a,b', '{x}', 'say "hi"', 'back\\slash', ' sp ', 'a', 'a'])).toBe(
      '{"NULL","a,b","{x}","say \\"hi\\"","back\\\\slash"," sp ","a","a"}')
    expect(textArrayLiteral([])).toBe('{}')
  })

  it('write numbers as JavaScript prints them, booleans as t/f and nulls as NULL', () => {
    expect(numberArrayLiteral([1, 8_640_000_000_000_000, 4.6, -0.25, 1e21])).toBe('{1,8640000000000000,4.6,-0.25,1e+21}')
    expect(booleanArrayLiteral([true, false])).toBe('{t,f}')
    expect(nullableNumberArrayLiteral([null, 0, 2.5])).toBe('{NULL,0,2.5}')
  })
})
