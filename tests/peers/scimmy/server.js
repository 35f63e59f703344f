// An independent SCIM 2.0 service provider (RFC 7643/7644) for scimaudit's demo and tests.
//
// Why it exists: scim2-server (Python) is the main test peer, but a collector tested against one
// implementation only learns that implementation's habits. SCIMMY (another codebase, another
// language) answers the same protocol with different quirks; see the "Quirks" notes below.
//
// SCIMMY does the protocol (parsing, attribute projection, PatchOp, Bulk, errors); this file only
// supplies the storage adapter (ingress / egress / degress handlers) and the HTTP wiring.
//
// Usage:
//   SCIMMY_PEER_TOKEN=secret node server.js --port 0 [--host 127.0.0.1] [--max-page-size 200]
//                                          [--exit-on-stdin-eof]
// The port may also come from PORT; 0 asks the kernel for a free one. When listening, one JSON line
// is printed on stdout: {"event":"ready","port":P,"baseUrl":"http://127.0.0.1:P/scim/v2"}.
//
// Quirks kept on purpose (they are SCIMMY's or express's, not this adapter's):
//   * itemsPerPage echoes the requested `count` (default 20, capped here), not the number of
//     resources returned (RFC 7644 §3.4.2.4 says the latter).
//   * a list without `count` returns at most 20 resources.
//   * a filter on an unknown attribute, on an extension attribute, or with bad syntax answers
//     200 with no resources instead of 400 invalidFilter (RFC 7644 §3.4.2.2).
//   * `attributes=` projections drop `schemas` and `meta` (only `id` is always kept).
//   * no meta.version and etag.supported=false, yet express adds a weak ETag header (a hash of
//     the body) and answers a matching If-None-Match with 304; If-Match is ignored.
//   * meta.location is absolute only because baseUri() below makes it so.
// Choices of this adapter:
//   * it filters and slices pages itself: SCIMMY would otherwise build a schema instance for every
//     stored resource on every page (O(N) per page, O(N²) per full pull).
//   * `count` is capped at filter.maxResults (RFC 7644 §3.4.2.4), default 200 as SCIMMY announces.
//   * deleting a user also removes it from every group's members.
//   * userName is unique, compared case-insensitively (RFC 7643 §4.1.1: caseExact false).

import {randomUUID} from "node:crypto";
import {parseArgs} from "node:util";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const {values: args} = parseArgs({
    options: {
        host: {type: "string", default: process.env.HOST ?? "127.0.0.1"},
        port: {type: "string", default: process.env.PORT ?? "0"},
        token: {type: "string", default: process.env.SCIMMY_PEER_TOKEN ?? ""},
        "max-page-size": {type: "string", default: process.env.SCIMMY_PEER_MAX_PAGE_SIZE ?? "200"},
        "exit-on-stdin-eof": {type: "boolean", default: false},
    },
});

const token = args.token;
if (!token) {
    console.error("server.js: a bearer token is required (--token or SCIMMY_PEER_TOKEN)");
    process.exit(2);
}
const maxPageSize = Number.parseInt(args["max-page-size"], 10);
if (!Number.isInteger(maxPageSize) || maxPageSize < 1) {
    console.error(`server.js: invalid --max-page-size ${args["max-page-size"]}`);
    process.exit(2);
}
const BASE_PATH = "/scim/v2";
const DEFAULT_COUNT = 20; // SCIMMY's own default page size (ListResponse constraints)

// ---------------------------------------------------------------------------------------------
// Paging: SCIMMY's ListResponse re-slices any page whose length reaches startIndex unless it is the
// last page, because it assumes it was handed the whole result set. Once this adapter has sliced
// the page itself, a request such as startIndex=5&count=10 would lose its first 4 resources. A page
// marked PRE_SLICED is handed to the original constructor at startIndex 1 (where its slice is a
// no-op), and the real startIndex is put back afterwards. Everything else stays SCIMMY's code.
const PRE_SLICED = Symbol("preSliced");
const OriginalListResponse = SCIMMY.Messages.ListResponse;

class PreSlicedListResponse extends OriginalListResponse {
    constructor(request = [], params = {}) {
        const preSliced = Array.isArray(request) && params?.[PRE_SLICED] === true;
        super(request, preSliced ? {...params, startIndex: 1} : params);
        if (preSliced) this.startIndex = Math.max(params.startIndex ?? 1, 1);
    }
}
SCIMMY.Messages.ListResponse = PreSlicedListResponse;

// ---------------------------------------------------------------------------------------------
// In-memory storage: insertion order, an id index, and a case-insensitive name index.

class Store {
    constructor(nameAttribute) {
        this.nameAttribute = nameAttribute;
        this.byId = new Map();
        this.idByName = new Map();
        this.ordered = null; // cached list of resources, rebuilt after a write
    }

    all() {
        this.ordered ??= [...this.byId.values()];
        return this.ordered;
    }

    nameKey(value) {
        return typeof value === "string" ? value.toLowerCase() : undefined;
    }

    ensureUnique(data, id) {
        const key = this.nameKey(data[this.nameAttribute]);
        if (key === undefined) return;
        const owner = this.idByName.get(key);
        if (owner !== undefined && owner !== id) {
            throw new SCIMMY.Types.Error(409, "uniqueness",
                `${this.nameAttribute} '${data[this.nameAttribute]}' is already in use`);
        }
    }

    put(data) {
        const previous = this.byId.get(data.id);
        if (previous) this.idByName.delete(this.nameKey(previous[this.nameAttribute]));
        this.byId.set(data.id, data);
        const key = this.nameKey(data[this.nameAttribute]);
        if (key !== undefined) this.idByName.set(key, data.id);
        this.ordered = null;
    }

    remove(id) {
        const previous = this.byId.get(id);
        if (!previous) return false;
        this.idByName.delete(this.nameKey(previous[this.nameAttribute]));
        this.byId.delete(id);
        this.ordered = null;
        return true;
    }
}

const users = new Store("userName");
const groups = new Store("displayName");

// The same reducer SCIMMY's ListResponse uses for sortBy, so that sorting the whole result set here
// and SCIMMY re-sorting the page agree.
function sortValue(resource, sortBy) {
    const reducer = (res = {}, path = "") => {
        const key = Object.keys(res ?? {}).find((k) => k.toLowerCase() === path.toLowerCase()) ?? path;
        const value = res?.[key];
        return !Array.isArray(value) ? value : (value.find((v) => !!v.primary) ?? value[0])?.value ?? value[0];
    };
    return sortBy.split(".").reduce(reducer, resource);
}

function compareValues(ta, tb) {
    if ((ta ?? undefined) === undefined || (tb ?? undefined) === undefined)
        return (ta ?? undefined) === (tb ?? undefined) ? 0 : (ta ?? undefined) === undefined ? 1 : -1;
    if (typeof ta === "number" && typeof tb === "number") return ta - tb;
    return String(ta).localeCompare(String(tb));
}

// `userName eq "x"` (or displayName for groups) is answered from the index; any other filter is
// evaluated by SCIMMY's own Filter.match over the stored resources.
function candidates(store, filter) {
    if (!filter) return store.all();
    if (filter.length === 1) {
        const entries = Object.entries(filter[0]);
        if (entries.length === 1) {
            const [attr, expression] = entries[0];
            if (attr.toLowerCase() === store.nameAttribute.toLowerCase() && Array.isArray(expression)
                && expression.length === 2 && expression[0] === "eq" && typeof expression[1] === "string") {
                const id = store.idByName.get(expression[1].toLowerCase());
                return id === undefined ? [] : [store.byId.get(id)];
            }
        }
    }
    return filter.match(store.all());
}

function egress(store) {
    return (resource) => {
        if (resource.id) {
            const found = store.byId.get(resource.id);
            if (!found) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            return found;
        }
        let found = candidates(store, resource.filter);
        resource.constraints ??= {};
        const constraints = resource.constraints;
        if (typeof constraints.sortBy === "string") {
            found = [...found].sort((a, b) => compareValues(
                sortValue(a, constraints.sortBy), sortValue(b, constraints.sortBy)));
            if (constraints.sortOrder === "descending") found.reverse();
        }
        const startIndex = Math.max(constraints.startIndex ?? 1, 1);
        const count = Math.min(Math.max(constraints.count ?? DEFAULT_COUNT, 0), maxPageSize);
        constraints.startIndex = startIndex;
        constraints.count = count;
        constraints.totalResults = found.length;
        constraints[PRE_SLICED] = true;
        return found.slice(startIndex - 1, startIndex - 1 + count);
    };
}

function ingress(store, kind) {
    return (resource, instance) => {
        const data = JSON.parse(JSON.stringify(instance));
        const now = new Date().toISOString();
        if (resource.id) {
            const existing = store.byId.get(resource.id);
            if (!existing) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            store.ensureUnique(data, resource.id);
            data.id = resource.id;
            data.meta = {resourceType: kind, created: existing.meta.created, lastModified: now};
        } else {
            store.ensureUnique(data, undefined);
            data.id = randomUUID();
            data.meta = {resourceType: kind, created: now, lastModified: now};
        }
        store.put(data);
        return data;
    };
}

function degress(store, onRemoved) {
    return (resource) => {
        if (!store.remove(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        onRemoved?.(resource.id);
    };
}

function forgetMember(userId) {
    for (const group of groups.all()) {
        if (Array.isArray(group.members) && group.members.some((m) => m.value === userId)) {
            groups.put({
                ...group,
                members: group.members.filter((m) => m.value !== userId),
                meta: {...group.meta, lastModified: new Date().toISOString()},
            });
        }
    }
}

// The enterprise extension (RFC 7643 §4.3) is declared optional: without it SCIMMY keeps the
// extension's URN in `schemas` but silently drops its attributes (employeeNumber, manager, ...).
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);
SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress(ingress(users, "User"))
    .egress(egress(users))
    .degress(degress(users, forgetMember));
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(ingress(groups, "Group"))
    .egress(egress(groups))
    .degress(degress(groups));

// ---------------------------------------------------------------------------------------------
// HTTP wiring

const app = express();
app.disable("x-powered-by");
let origin = "";

const router = new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        const header = request.header("Authorization") ?? "";
        const [scheme, value] = header.split(" ", 2);
        if (scheme?.toLowerCase() !== "bearer" || value !== token) throw new Error("Invalid or missing bearer token");
        return "scimaudit-peer";
    },
    // Absolute meta.location values (RFC 7643 §3.1), as real services send.
    baseUri: () => origin,
});
SCIMMY.Config.set({filter: {supported: true, maxResults: maxPageSize}});
app.use(BASE_PATH, router);
app.use((req, res) => res.status(404).type("application/scim+json").send(JSON.stringify({
    schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404", detail: "Not found",
})));

const server = app.listen(Number.parseInt(args.port, 10), args.host, () => {
    const {port} = server.address();
    origin = `http://${args.host}:${port}`;
    console.log(JSON.stringify({event: "ready", port, baseUrl: `${origin}${BASE_PATH}`}));
});
server.on("error", (error) => {
    console.error(`server.js: ${error.message}`);
    process.exit(1);
});

function shutdown() {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
if (args["exit-on-stdin-eof"]) {
    // The parent holds our stdin open; when it dies, the pipe closes and we leave with it.
    process.stdin.on("end", shutdown);
    process.stdin.on("error", shutdown);
    process.stdin.resume();
}
