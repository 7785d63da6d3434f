/** Reads the parts of an ONNX ModelProto that graph tools need, keeping raw bytes for rewriting. */
import { fieldInts, fieldString, readFields, type ProtoField } from './protobuf-reader.ts';

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxModel {
  modelFields: ProtoField[];
  graphField: ProtoField;
  graphFields: ProtoField[];
  nodes: OnnxNode[];
  outputNames: string[];
  /** element type of the float initializers (1 = float32, 10 = float16), to type new outputs */
  floatType: number;
}

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;

function parseNode(f: ProtoField): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', inputs: [], outputs: [] };
  for (const nf of readFields(f.data!)) {
    if (nf.field === 1) node.inputs.push(fieldString(nf));
    else if (nf.field === 2) node.outputs.push(fieldString(nf));
    else if (nf.field === 3) node.name = fieldString(nf);
    else if (nf.field === 4) node.opType = fieldString(nf);
  }
  return node;
}

export function parseOnnxModel(bytes: Uint8Array): OnnxModel {
  const modelFields = readFields(bytes);
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH);
  if (!graphField?.data) throw new Error('not an ONNX model: no graph');
  const graphFields = readFields(graphField.data);
  const nodes = graphFields.filter((f) => f.field === GRAPH_NODE).map(parseNode);
  const outputNames = graphFields
    .filter((f) => f.field === GRAPH_OUTPUT)
    .map((f) => fieldString(readFields(f.data!).find((x) => x.field === 1)!));
  let floatType = 1;
  for (const f of graphFields) {
    if (f.field !== GRAPH_INITIALIZER) continue;
    const dt = readFields(f.data!).find((x) => x.field === 2);
    const code = dt ? Number(fieldInts(dt)[0]) : 0;
    if (code === 10 || code === 1) {
      floatType = code;
      break;
    }
  }
  return { modelFields, graphField, graphFields, nodes, outputNames, floatType };
}
