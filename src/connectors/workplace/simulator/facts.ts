/**
 * @module simulator/facts
 * Every inferred ([I]) or constructed Workplace fact the simulator uses lives in data/facts.json, so it can be
 * corrected without a code change. This module only types and loads it.
 */
import { readFileSync } from 'node:fs';

export type Basis = 'R' | 'I' | 'C';

export interface GraphErrorSpec {
  status: number;
  code: number;
  subcode: number | null;
  type: string;
  message: string;
  basis: Basis;
}

export interface EventFact {
  basis: Basis;
  /** webhook `changes[].field` for this event */
  field: string;
  /** Admin Center `event_type` for this event */
  auditType: string;
}

export interface Facts {
  webhook: {
    object: { value: string };
    defaultField: { value: string };
    signatureHeaders: { sha1: string; sha256: string };
  };
  events: Record<string, EventFact>;
  constructed: {
    impersonation: { integrationIdKey: string; integrationNameKey: string; permission: string };
    roleChange: { key: string; fields: string[] };
  };
  graph: {
    defaultMemberFields: { value: string[] };
    defaultCommunityFields: { value: string[] };
    defaultLimit: { value: number };
    maxLimit: { value: number };
    successBody: { value: Record<string, unknown> };
    permissions: Record<string, { anyOf: string[] }>;
    allPermissions: string[];
    errors: Record<string, GraphErrorSpec>;
    retryAfterSecs: { value: number };
    usage: { appHeader: string; bucHeader: string; bucType: string; callsPerHour: number };
  };
  scim: {
    listSchema: { value: string };
    errorSchema: { value: string };
    patchSchema: { value: string };
    defaultCount: { value: number };
    maxCount: { value: number };
    unauthorized: { status: number; detail: string };
    forbidden: { status: number; detail: string };
    deleteClaimedStatus: { value: number };
    deleteClaimedDetail: { value: string };
  };
  audit: {
    startParam: { value: string };
    endParam: { value: string };
    order: { value: 'asc' | 'desc' };
    defaultLimit: { value: number };
    maxLimit: { value: number };
    defaultFields: { value: string[] };
    allFields: { value: string[] };
    tokenTtlSecs: { value: number };
    onReissue: { value: 'revoke_previous' | 'return_existing' };
    tokenType: { value: string };
  };
}

const dataUrl = (name: string): URL => new URL(`./data/${name}`, import.meta.url);

/** Loads facts.json (or the file named by RAMPART_SIM_FACTS, to try a correction without editing the repo). */
export function loadFacts(path: string | URL = process.env.RAMPART_SIM_FACTS ?? dataUrl('facts.json')): Facts {
  return JSON.parse(readFileSync(path, 'utf8')) as Facts;
}

export const FACTS: Facts = loadFacts();

/** Event enums the simulator knows, in the order of facts.json. */
export const EVENT_NAMES: readonly string[] = Object.keys(FACTS.events).filter((k) => !k.startsWith('$'));

export function loadDataFile<T>(name: string): T {
  return JSON.parse(readFileSync(dataUrl(name), 'utf8')) as T;
}
