// The `express4` alias package (Express 4, for compatibility tests) ships no types of its own;
// its API surface used in tests is the same as Express 5's.
declare module 'express4' {
  import express from 'express';
  export default express;
}
