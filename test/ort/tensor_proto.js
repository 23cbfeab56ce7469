// Reads and writes ONNX TensorProto files (the input_N.pb / output_N.pb of ONNX test data) without a
// protobuf library: the message is small and flat, and the wire format is stable. Field numbers are from
// onnx.proto (TensorProto); raw_data is little-endian, as ONNX specifies.
'use strict';

const os = require('os');

// ONNX TensorProto.DataType -> ONNX Runtime's type name, typed array, and which repeated field holds the
// values when raw_data is absent. bfloat16 and complex types have no onnxruntime-node tensor type.
const TYPES = {
  1: {ort: 'float32', array: Float32Array, field: 'float'},
  2: {ort: 'uint8', array: Uint8Array, field: 'int32'},
  3: {ort: 'int8', array: Int8Array, field: 'int32'},
  4: {ort: 'uint16', array: Uint16Array, field: 'int32'},
  5: {ort: 'int16', array: Int16Array, field: 'int32'},
  6: {ort: 'int32', array: Int32Array, field: 'int32'},
  7: {ort: 'int64', array: BigInt64Array, field: 'int64'},
  8: {ort: 'string', array: null, field: 'string'},
  9: {ort: 'bool', array: Uint8Array, field: 'int32'},
  10: {ort: 'float16', array: Uint16Array, field: 'int32'},  // IEEE half bits
  11: {ort: 'float64', array: Float64Array, field: 'double'},
  12: {ort: 'uint32', array: Uint32Array, field: 'uint64'},
  13: {ort: 'uint64', array: BigUint64Array, field: 'uint64'},
};

const FIELD = {
  dims: 1, dataType: 2, segment: 3, floatData: 4, int32Data: 5, stringData: 6, int64Data: 7, name: 8,
  rawData: 9, doubleData: 10, uint64Data: 11, docString: 12, externalData: 13, dataLocation: 14,
};
const WIRE = {varint: 0, fixed64: 1, bytes: 2, fixed32: 5};

if (os.endianness() !== 'LE') throw new Error('tensor_proto.js assumes a little-endian host (raw_data is little-endian)');

function ortTypeOf(dataType) {
  const t = TYPES[dataType];
  if (!t) throw new Error(`TensorProto data_type ${dataType} is not supported by onnxruntime-node`);
  return t.ort;
}

function dataTypeOf(ortType) {
  for (const [k, v] of Object.entries(TYPES)) if (v.ort === ortType) return Number(k);
  throw new Error(`ONNX Runtime tensor type '${ortType}' has no TensorProto equivalent here`);
}

class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  done() {
    return this.pos >= this.buf.length;
  }
  varint() {  // as an unsigned 64-bit BigInt; callers reinterpret the sign
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, result);
    }
    throw new Error('varint longer than 10 bytes');
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  fixed(n) {
    if (this.pos + n > this.buf.length) throw new Error('truncated fixed-width field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire) {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.fixed64) this.fixed(8);
    else if (wire === WIRE.bytes) this.bytes();
    else if (wire === WIRE.fixed32) this.fixed(4);
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

// A repeated scalar field arrives either packed (one length-delimited run) or one element per tag.
function readRepeated(r, wire, elemWire, readOne, out) {
  if (wire === WIRE.bytes && elemWire !== WIRE.bytes) {
    const sub = new Reader(r.bytes());
    while (!sub.done()) out.push(readOne(sub));
  } else if (wire === elemWire) {
    out.push(readOne(r));
  } else {
    throw new Error(`unexpected wire type ${wire} for a repeated field`);
  }
}

const readFloat = (r) => r.fixed(4).readFloatLE(0);
const readDouble = (r) => r.fixed(8).readDoubleLE(0);
const readVarint = (r) => r.varint();

// Returns {name, dataType, ortType, dims: number[], data: TypedArray | string[]}.
function decodeTensor(buf) {
  const r = new Reader(buf);
  const t = {name: '', dataType: 0, dims: [], raw: null, float: [], int32: [], int64: [], uint64: [], double: [],
    string: []};
  let external = false;
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    switch (field) {
      case FIELD.dims: {
        const d = [];
        readRepeated(r, wire, WIRE.varint, readVarint, d);
        for (const v of d) t.dims.push(Number(BigInt.asIntN(64, v)));
        break;
      }
      case FIELD.dataType: t.dataType = Number(r.varint()); break;
      case FIELD.segment: throw new Error('segmented TensorProto (or not a TensorProto) is not supported');
      case FIELD.floatData: readRepeated(r, wire, WIRE.fixed32, readFloat, t.float); break;
      case FIELD.int32Data: readRepeated(r, wire, WIRE.varint, readVarint, t.int32); break;
      case FIELD.stringData: t.string.push(r.bytes().toString('utf8')); break;
      case FIELD.int64Data: readRepeated(r, wire, WIRE.varint, readVarint, t.int64); break;
      case FIELD.name: t.name = r.bytes().toString('utf8'); break;
      case FIELD.rawData: t.raw = r.bytes(); break;
      case FIELD.doubleData: readRepeated(r, wire, WIRE.fixed64, readDouble, t.double); break;
      case FIELD.uint64Data: readRepeated(r, wire, WIRE.varint, readVarint, t.uint64); break;
      case FIELD.dataLocation: external = Number(r.varint()) === 1; break;
      default: r.skip(wire);
    }
  }
  if (external) throw new Error(`tensor '${t.name}': external data is not supported`);
  const type = TYPES[t.dataType];
  if (!type) throw new Error(`tensor '${t.name}': data_type ${t.dataType} is not supported by onnxruntime-node`);
  for (const d of t.dims) if (d < 0) throw new Error(`tensor '${t.name}': negative dimension ${d}`);
  const count = t.dims.reduce((a, b) => a * b, 1);
  // Sequence, optional and map test files parse as garbage TensorProtos; this catches them.
  if (count > 2 ** 31) throw new Error(`tensor '${t.name}': shape [${t.dims}] is implausible (not a TensorProto?)`);

  let data;
  if (type.ort === 'string') {
    data = t.string;
  } else if (t.raw) {
    if (t.raw.length !== count * type.array.BYTES_PER_ELEMENT)
      throw new Error(`tensor '${t.name}': raw_data has ${t.raw.length} bytes, expected ${count * type.array.BYTES_PER_ELEMENT}`);
    const copy = new ArrayBuffer(t.raw.length);  // aligned for the typed array
    new Uint8Array(copy).set(t.raw);
    data = new type.array(copy);
  } else {
    const src = t[type.field];
    data = new type.array(count);
    for (let i = 0; i < count && i < src.length; ++i) {
      const v = src[i];
      if (type.field === 'int32') data[i] = Number(BigInt.asIntN(32, v));
      else if (type.field === 'int64') data[i] = BigInt.asIntN(64, v);
      else if (type.field === 'uint64') data[i] = type.array === BigUint64Array ? v : Number(v);
      else data[i] = v;
    }
    // An empty field with a non-empty shape is how some writers store all zeros; anything else is corrupt.
    if (src.length !== count && src.length !== 0)
      throw new Error(`tensor '${t.name}': ${src.length} values for shape [${t.dims}]`);
  }
  if (type.ort === 'string' && data.length !== count)
    throw new Error(`tensor '${t.name}': ${data.length} strings for shape [${t.dims}]`);
  return {name: t.name, dataType: t.dataType, ortType: type.ort, dims: t.dims, data};
}

class Writer {
  constructor() {
    this.parts = [];
  }
  varint(v) {  // v: number or BigInt, written as its 64-bit two's complement
    let x = BigInt.asUintN(64, BigInt(v));
    const bytes = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      bytes.push(b);
    } while (x);
    this.parts.push(Buffer.from(bytes));
  }
  tag(field, wire) {
    this.varint((field << 3) | wire);
  }
  bytes(field, buf) {
    this.tag(field, WIRE.bytes);
    this.varint(buf.length);
    this.parts.push(Buffer.from(buf));
  }
  finish() {
    return Buffer.concat(this.parts);
  }
}

// tensor: {name, dims, ortType, data}. Numbers go to raw_data (what onnx.numpy_helper writes), strings
// to string_data; dims are written unpacked, as the proto2 C++ serializer does.
function encodeTensor({name, dims, ortType, data}) {
  const dataType = dataTypeOf(ortType);
  const w = new Writer();
  for (const d of dims) {
    w.tag(FIELD.dims, WIRE.varint);
    w.varint(d);
  }
  w.tag(FIELD.dataType, WIRE.varint);
  w.varint(dataType);
  if (ortType === 'string') {
    for (const s of data) w.bytes(FIELD.stringData, Buffer.from(String(s), 'utf8'));
  }
  if (name) w.bytes(FIELD.name, Buffer.from(name, 'utf8'));
  if (ortType !== 'string') {
    const typed = ArrayBuffer.isView(data) ? data : new TYPES[dataType].array(data);
    w.bytes(FIELD.rawData, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  }
  return w.finish();
}

module.exports = {decodeTensor, encodeTensor, ortTypeOf, dataTypeOf, TYPES};
