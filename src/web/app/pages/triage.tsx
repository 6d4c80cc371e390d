/** Classification choices (MDCA's, docs/api.md "Alerts: triage") and the form that resolves alerts with one. */
import { useState, type FormEvent } from 'react';
import type { ApiError } from '../api.ts';
import { ErrorBox } from '../ui.tsx';

export const REASONS: Record<string, [string, string][]> = {
  true_positive: [],
  benign_true_positive: [
    ['actual_severity_lower', 'Actual severity is lower'],
    ['confirmed_with_end_user', 'Confirmed with end user'],
    ['triggered_by_test', 'Triggered by a test'],
    ['other', 'Other'],
  ],
  false_positive: [
    ['not_of_interest', 'Not of interest'],
    ['too_many_similar_alerts', 'Too many similar alerts'],
    ['alert_not_accurate', 'Alert not accurate'],
    ['other', 'Other'],
  ],
};
export const CLASS_LABELS: Record<string, string> = { true_positive: 'True positive', benign_true_positive: 'Benign true positive', false_positive: 'False positive' };

export interface Resolution {
  classification: string;
  reason?: string;
  comment?: string;
  suppress?: string[];
  suppressForDays?: number;
}

export function ResolveForm({ count, onSubmit, onCancel, allowSuppress }: { count: number; onSubmit: (r: Resolution) => Promise<void>; onCancel: () => void; allowSuppress?: boolean }) {
  const [classification, setClassification] = useState('true_positive');
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [suppress, setSuppress] = useState('');
  const [suppressDays, setSuppressDays] = useState('');
  const [error, setError] = useState<ApiError | { message: string } | null>(null);
  const reasons = REASONS[classification];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (reasons.length && !reason) return setError({ message: 'Choose a reason for this classification.' });
    try {
      await onSubmit({
        classification,
        ...(reasons.length ? { reason } : {}),
        ...(comment ? { comment } : {}),
        ...(suppress && classification !== 'true_positive' ? { suppress: suppress.split(','), ...(suppressDays ? { suppressForDays: Number(suppressDays) } : {}) } : {}),
      });
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <form className="resolve card" onSubmit={submit} aria-label="Resolve with a classification">
      <h3>
        Resolve {count} alert{count === 1 ? '' : 's'}
      </h3>
      <label>
        Classification
        <select name="classification" value={classification} onChange={(e) => (setClassification(e.target.value), setReason(''))}>
          {Object.entries(CLASS_LABELS).map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      {reasons.length > 0 && (
        <label>
          Reason
          <select name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required>
            <option value="">choose…</option>
            {reasons.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
      )}
      {allowSuppress && classification !== 'true_positive' && (
        <label>
          Suppress similar alerts
          <select name="suppress" value={suppress} onChange={(e) => setSuppress(e.target.value)}>
            <option value="">no</option>
            <option value="user">for this user</option>
            <option value="user,ip">for this user and IP</option>
            <option value="user,isp">for this user and ISP</option>
          </select>
        </label>
      )}
      {allowSuppress && classification !== 'true_positive' && suppress && (
        <label>
          For how many days (empty: until removed)
          <input name="suppressForDays" type="number" min={1} max={3650} value={suppressDays} onChange={(e) => setSuppressDays(e.target.value)} placeholder="until removed" />
        </label>
      )}
      <label>
        Comment
        <textarea name="comment" value={comment} onChange={(e) => setComment(e.target.value)} maxLength={4000} rows={2} />
      </label>
      <ErrorBox error={error} />
      <div className="row end">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button className="primary" type="submit">
          Resolve
        </button>
      </div>
    </form>
  );
}
