/** Who is signed in, and the live alert stream's subscribers (shared by the shell and the pages). */
import { createContext, useContext, useEffect } from 'react';

export interface Me {
  kind: 'session' | 'token';
  id: string;
  name: string;
  role: 'admin' | 'analyst' | 'viewer';
  csrfToken: string | null;
  mustChangePassword?: boolean;
}

export const MeContext = createContext<Me | null>(null);
export const useMe = () => useContext(MeContext)!;
const rank = { viewer: 0, analyst: 1, admin: 2 } as const;
export const can = (me: Me, role: keyof typeof rank) => rank[me.role] >= rank[role];

export type LiveListener = (kind: 'alert.raised' | 'alert.updated', alert: any) => void;
export const live = new Set<LiveListener>();
export function useLive(f: LiveListener) {
  useEffect(() => {
    live.add(f);
    return () => void live.delete(f);
  }, [f]);
}
