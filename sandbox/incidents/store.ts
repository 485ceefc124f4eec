// In-memory incidents, newest first, with the defaults a new incident gets (addIncident for paging tests).
import type { StoredIncident } from './model';
import { defenderTime } from '../timeFormat';

export class IncidentStore {
  private items = new Map<number, StoredIncident>();
  private nextId = 1;

  constructor(initial: readonly StoredIncident[] = []) {
    this.replaceAll(initial);
  }

  replaceAll(list: readonly StoredIncident[]): void {
    this.items = new Map(list.map((i) => [i.id, structuredClone(i)]));
    this.nextId = Math.max(0, ...list.map((i) => i.id)) + 1;
  }

  /** Newest first: createdDateTime descending, then id descending. */
  list(): StoredIncident[] {
    return [...this.items.values()].sort(
      (a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime) || b.id - a.id,
    );
  }

  get(id: number): StoredIncident | undefined {
    return this.items.get(id);
  }

  add(partial: Partial<StoredIncident>, now: Date): StoredIncident {
    const id = partial.id ?? this.nextId;
    if (this.items.has(id)) throw new Error(`incident ${id} already exists`);
    const created = partial.createdDateTime ?? defenderTime(now);
    const incident: StoredIncident = {
      id,
      displayName: `Sandbox incident ${id}`,
      status: 'active',
      severity: 'medium',
      classification: 'unknown',
      determination: 'unknown',
      assignedTo: null,
      customTags: [],
      systemTags: [],
      description: null,
      summary: null,
      resolvingComment: null,
      lastModifiedBy: null,
      priorityScore: null,
      redirectIncidentId: null,
      comments: [],
      alerts: [],
      ...structuredClone(partial),
      createdDateTime: created,
      lastUpdateDateTime: partial.lastUpdateDateTime ?? created,
    };
    this.items.set(id, incident);
    this.nextId = Math.max(this.nextId, id + 1);
    return incident;
  }
}
