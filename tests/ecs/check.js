#!/usr/bin/env node
// check.js - validate NDJSON on stdin against ECS's own field
// definitions (EcsFlat of the npm package @elastic/ecs, the version pinned
// in package-lock.json beside this file).
//
// Every leaf field (a scalar, or an array of scalars) must either be under
// the custom namespace "quark." or be an ECS field whose type the JSON value
// fits: keyword, wildcard, text and their kin -> string; long, integer ->
// integer; float kinds -> number; date -> RFC 3339 string; boolean; ip ->
// string.  An array only where ECS normalizes the field to an array.  A
// field with allowed values (event.kind, event.category, event.type) has
// one of them, a field with a pattern matches it, and each event.type is
// one that ECS expects for the event's category.  An object that ECS says
// is a leaf (type object/flattened/nested) is not looked into.
//
// Usage: node check.js [--modules DIR] < records.ndjson
// Prints one line per problem ("line N: FIELD: what"), then
// "ecs-check: N lines, N fields checked, N problems"; exit 1 on a problem
// or when no line was read.
'use strict';

const path = require('path');
const readline = require('readline');

let modules = process.env.QUARK_ECS_MODULES ||
    path.join(__dirname, '..', '..', 'build', 'ecs', 'node_modules');
const argv = process.argv.slice(2);
if (argv[0] === '--modules' && argv[1]) modules = argv[1];

const { EcsFlat, EcsVersion } =
    require(path.join(modules, '@elastic', 'ecs'));

const STRING = new Set(['keyword', 'wildcard', 'text', 'match_only_text',
    'constant_keyword', 'ip', 'version', 'geo_point']);
const INTEGER = new Set(['long', 'integer', 'short', 'byte',
    'unsigned_long']);
const NUMBER = new Set(['float', 'double', 'scaled_float', 'half_float']);
const LEAF_OBJECT = new Set(['object', 'flattened', 'nested']);
const RFC3339 =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

// Fields that ECS reuses as arrays of objects: a reuse with `normalize:
// [array]` in ECS's schema, which EcsFlat (leaf fields only) does not
// say.  process.previous: ECS's process.yml, reusable at process as
// previous ("an array of previous executions for the process").  Each
// element's fields are checked as process.previous.*.
const OBJECT_ARRAYS = new Set(['process.previous']);

let problems = 0, fields = 0, lines = 0;

function problem(n, field, what) {
	problems++;
	console.log(`line ${n}: ${field}: ${what}`);
}

// One scalar against an ECS type; '' when it fits, else why not.
function misfit(def, v) {
	const t = def.type;
	if (STRING.has(t))
		return typeof v === 'string' ? '' : `${t} wants a string`;
	if (INTEGER.has(t))
		return Number.isInteger(v) ? '' : `${t} wants an integer`;
	if (NUMBER.has(t))
		return typeof v === 'number' ? '' : `${t} wants a number`;
	if (t === 'boolean')
		return typeof v === 'boolean' ? '' : 'boolean wants true/false';
	if (t === 'date')
		return typeof v === 'string' && RFC3339.test(v) &&
		    !isNaN(Date.parse(v)) ? '' : 'date wants an RFC 3339 string';
	return `type ${t} not handled by this check`;
}

function checkLeaf(n, name, v, rec) {
	fields++;
	if (name.startsWith('quark.'))
		return;
	const def = EcsFlat[name];
	if (def === undefined) {
		problem(n, name, 'not an ECS field, and not under quark.');
		return;
	}
	const isArray = Array.isArray(v);
	if (isArray && !def.normalize.includes('array')) {
		problem(n, name, 'an array, where ECS wants one value');
		return;
	}
	for (const x of isArray ? v : [v]) {
		if (x === null) {
			problem(n, name, 'null');
			continue;
		}
		const why = misfit(def, x);
		if (why !== '') {
			problem(n, name, `${why}: ${JSON.stringify(x)}`);
			continue;
		}
		if (def.allowed_values &&
		    !def.allowed_values.some((a) => a.name === x))
			problem(n, name, `${JSON.stringify(x)} is not an allowed value`);
		if (def.pattern && !new RegExp(def.pattern).test(x))
			problem(n, name, `${JSON.stringify(x)} does not match ${def.pattern}`);
	}
}

function walk(n, prefix, o, rec) {
	for (const [k, v] of Object.entries(o)) {
		const name = prefix === '' ? k : `${prefix}.${k}`;
		if (name === 'quark' || name.startsWith('quark.')) {
			fields++;
			continue;
		}
		const def = EcsFlat[name];
		if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
			if (def && LEAF_OBJECT.has(def.type)) {
				fields++;
				continue;
			}
			walk(n, name, v, rec);
		} else if (Array.isArray(v) && v.some((x) => x !== null &&
		    typeof x === 'object')) {
			if (OBJECT_ARRAYS.has(name) && v.every((x) => x !== null &&
			    typeof x === 'object' && !Array.isArray(x)))
				for (const x of v)
					walk(n, name, x, rec);
			else
				problem(n, name, 'an array of objects');
		} else
			checkLeaf(n, name, v, rec);
	}
}

// event.type must be one ECS expects for event.category.
function checkCategoryTypes(n, rec) {
	const ev = rec.event || {};
	const cats = [].concat(ev.category || []);
	const types = [].concat(ev.type || []);
	const allowed = EcsFlat['event.category'].allowed_values;
	for (const c of cats) {
		const a = allowed.find((x) => x.name === c);
		if (!a || !a.expected_event_types)
			continue;
		for (const t of types)
			if (!a.expected_event_types.includes(t))
				problem(n, 'event.type', `${t} is not expected for category ${c}`);
	}
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
	lines++;
	let rec;
	try {
		rec = JSON.parse(line);
	} catch (e) {
		problem(lines, '-', `not JSON: ${e.message}`);
		return;
	}
	if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
		problem(lines, '-', 'not an object');
		return;
	}
	walk(lines, '', rec, rec);
	checkCategoryTypes(lines, rec);
	if (!rec.ecs || rec.ecs.version !== EcsVersion)
		problem(lines, 'ecs.version', `not ${EcsVersion}, the version checked against`);
});
rl.on('close', () => {
	console.log(`ecs-check: ${lines} lines, ${fields} fields checked, ` +
	    `${problems} problems (ECS ${EcsVersion})`);
	process.exit(problems > 0 || lines === 0 ? 1 : 0);
});
