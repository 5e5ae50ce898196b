import { removeRunMemo } from './support/synthesis-memo';

export default removeRunMemo;
