'use strict';
// IGreeter of samples/GreeterContracts, in JavaScript: the contract by its signatures (docs/PROTOCOL.md, section 8) and an
// implementation that answers as Samples.Greeter does, so that a .NET host calls it through plugin.GetProxy<IGreeter>().
const { defineContract } = require('pluginipc');

const IGreeter = defineContract('IGreeter', [
  'IGreeter.Hello(string):string',
  'IGreeter.Move(Samples.Point,int,int):Samples.Point',
  'IGreeter.Count(int,int):stream<int>',
  'IGreeter.SumWithProgress(int[],progress<int>):int',
  'IGreeter.Reset():void',
]);

function createGreeter(greeterName) {
  let hellos = 0;
  return {
    Hello: (name) => `Hello, ${name}! (${greeterName}, greeting #${++hellos})`,
    // A Samples.Point travels as a map of its property names (msgpack) or camelCase (json): keep the names it came with.
    Move: (point, dx, dy) => ('X' in point ? { X: point.X + dx, Y: point.Y + dy } : { x: point.x + dx, y: point.y + dy }),
    Count: async function* (from, to, { signal }) {
      for (let i = from; i <= to; i++) {
        signal.throwIfAborted();
        yield i;
      }
    },
    SumWithProgress: (values, progress) => {
      let sum = 0;
      for (const value of values) {
        sum += value;
        progress(sum);
      }
      return sum;
    },
    Reset: () => {
      hellos = 0;
    },
  };
}

module.exports = { IGreeter, createGreeter };
