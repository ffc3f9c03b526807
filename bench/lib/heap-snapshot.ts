/**
 * Reading V8 heap snapshots (the JSON `v8.writeHeapSnapshot` writes, as Chrome DevTools reads
 * it): every object's self size summed by type and constructor, and by what holds it (its
 * retainer), and the difference of two snapshots of one process divided by what changed
 * between them (e.g. per device connected). Field layouts come from the snapshot's own
 * `snapshot.meta`.
 *
 * Retainer: for each object, its parent on a shortest path of strong references from the
 * root (weak edges ignored), as DevTools lists retainers by distance. The holder named is the first owner up that chain that is not a plain container (Map, Set,
 * Array, Object, their backing stores): a reading stored in `DeviceReadings.states` (a Map of
 * plain objects) is reported as held by `DeviceReadings.states`, whatever the hops between.
 */
import { readFileSync } from 'node:fs';

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGroup {
  key: string;
  count: number;
  bytes: number;
}

export interface HeapSummary {
  total: number;
  nodes: number;
  /** By type and constructor ("object Map", "(string)", "closure onEvent"). */
  byConstructor: Map<string, HeapGroup>;
  /** By holder (see the file comment): "DeviceReadings.states", "Client.parser". */
  byHolder: Map<string, HeapGroup>;
  /** By constructor and holder: "object Object ← DeviceReadings.states". */
  byPair: Map<string, HeapGroup>;
}

/** Containers looked through when naming what holds an object. */
const CONTAINERS = new Set(['Map', 'Set', 'Array', 'Object', 'WeakMap', 'WeakSet', '(object properties)', '(object elements)', 'system / Context', '']);
const MAX_HOPS = 6;

function constructorKey(type: string, name: string): string {
  // Strings and numbers are many and distinct: one group per type, not per value.
  if (type === 'object' || type === 'closure' || type === 'native') return `${type} ${name.slice(0, 60)}`;
  if (type === 'array' || type === 'hidden' || type === 'code') return `${type} ${name.slice(0, 40)}`;
  return `(${type})`;
}

function add(groups: Map<string, HeapGroup>, key: string, bytes: number): void {
  const g = groups.get(key);
  if (g) {
    g.count++;
    g.bytes += bytes;
  } else groups.set(key, { key, count: 1, bytes });
}

export function summarizeSnapshot(raw: RawSnapshot): HeapSummary {
  const meta = raw.snapshot.meta;
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nw = meta.node_fields.length;
  const ew = meta.edge_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const nameAt = meta.node_fields.indexOf('name');
  const sizeAt = meta.node_fields.indexOf('self_size');
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const eTypeAt = meta.edge_fields.indexOf('type');
  const eNameAt = meta.edge_fields.indexOf('name_or_index');
  const eToAt = meta.edge_fields.indexOf('to_node');
  const { nodes, edges, strings } = raw;
  const n = nodes.length / nw;
  const weak = edgeTypes.indexOf('weak');
  const shortcut = edgeTypes.indexOf('shortcut');
  const named = new Set(['context', 'property', 'internal', 'shortcut'].map((t) => edgeTypes.indexOf(t)));

  // Retainer of each node: its parent on a shortest path of strong references from the root
  // (breadth first, as DevTools orders retainers by distance). Stable from one snapshot to the
  // next of the same process, unlike "the first reference found", which depends on node order.
  const firstEdge = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) firstEdge[i + 1] = (firstEdge[i] as number) + (nodes[i * nw + edgeCountAt] as number) * ew;
  const owner = new Int32Array(n).fill(-1);
  const ownerEdge = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  const seen = new Uint8Array(n);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    const i = queue[head++] as number;
    for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += ew) {
      const et = edges[e + eTypeAt] as number;
      if (et === weak || et === shortcut) continue;
      const to = (edges[e + eToAt] as number) / nw;
      if (seen[to]) continue;
      seen[to] = 1;
      owner[to] = i;
      ownerEdge[to] = e;
      queue[tail++] = to;
    }
  }

  const nameOf = (i: number) => strings[nodes[i * nw + nameAt] as number] ?? '';
  const typeOf = (i: number) => nodeTypes[nodes[i * nw + typeAt] as number] ?? '?';
  const edgeName = (edge: number) => {
    const et = edges[edge + eTypeAt] as number;
    return named.has(et) ? String(strings[edges[edge + eNameAt] as number] ?? '?') : '[]';
  };
  const holderCache = new Map<number, string>();
  const holderOf = (i: number): string => {
    let node = i;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const o = owner[node] as number;
      if (o < 0) return '(root)';
      const type = typeOf(o);
      const name = nameOf(o);
      const generic = type !== 'closure' && (type !== 'object' || CONTAINERS.has(name));
      if (!generic || type === 'synthetic') {
        const cached = holderCache.get(ownerEdge[node] as number);
        if (cached) return cached;
        const label = `${type === 'object' ? '' : `${type} `}${name.slice(0, 40)}.${edgeName(ownerEdge[node] as number).slice(0, 40)}`;
        holderCache.set(ownerEdge[node] as number, label);
        return label;
      }
      node = o;
    }
    return `${constructorKey(typeOf(node), nameOf(node))} (deep)`;
  };

  const byConstructor = new Map<string, HeapGroup>();
  const byHolder = new Map<string, HeapGroup>();
  const byPair = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const size = nodes[i * nw + sizeAt] as number;
    const key = constructorKey(typeOf(i), nameOf(i));
    const holder = holderOf(i);
    add(byConstructor, key, size);
    add(byHolder, holder, size);
    add(byPair, `${key} ← ${holder}`, size);
    total += size;
  }
  return { total, nodes: n, byConstructor, byHolder, byPair };
}

export function readSnapshot(file: string): HeapSummary {
  return summarizeSnapshot(JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot);
}

export interface GroupDelta {
  key: string;
  count: number;
  bytes: number;
}

/** What `after` has more than `before`, largest growth first (groups that shrank last). */
export function diffGroups(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>): GroupDelta[] {
  const out: GroupDelta[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    out.push({ key, count: a.count - (b?.count ?? 0), bytes: a.bytes - (b?.bytes ?? 0) });
  }
  for (const [key, b] of before) if (!after.has(key)) out.push({ key, count: -b.count, bytes: -b.bytes });
  return out.sort((x, y) => y.bytes - x.bytes);
}

export function sortedGroups(groups: Map<string, HeapGroup>): HeapGroup[] {
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}
