/**
 * A world map drawn from Natural Earth (world-atlas countries-110m, bundled at build time: no tile server, works
 * offline). Places are dots; a path between two places is drawn along the great circle (impossible travel).
 */
import { useMemo } from 'react';
import { geoGraticule10, geoNaturalEarth1, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { FeatureCollection, Geometry } from 'geojson';
import countries110m from 'world-atlas/countries-110m.json';
import { DbIpAttribution } from './ui.tsx';

export interface Place {
  lat: number;
  lon: number;
  label: string;
}

const W = 800;
const H = 420;
let land: FeatureCollection<Geometry> | null = null;
const countries = () => (land ??= feature(countries110m as any, (countries110m as any).objects.countries) as unknown as FeatureCollection<Geometry>);

export function WorldMap({ places, path = false, label }: { places: Place[]; path?: boolean; label: string }) {
  const { proj, gen } = useMemo(() => {
    const proj = geoNaturalEarth1().fitSize([W, H], { type: 'Sphere' } as any);
    return { proj, gen: geoPath(proj) };
  }, []);
  const shapes = useMemo(() => countries().features.map((f, i) => <path key={i} d={gen(f) ?? ''} className="country" />), [gen]);
  const line = path && places.length >= 2 ? gen({ type: 'LineString', coordinates: places.map((p) => [p.lon, p.lat]) } as any) : null;
  return (
    <figure className="map" data-testid="world-map">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        <path d={gen({ type: 'Sphere' } as any) ?? ''} className="sphere" />
        <path d={gen(geoGraticule10()) ?? ''} className="graticule" />
        {shapes}
        {line && <path d={line} className="travel" data-testid="travel-path" />}
        {places.map((p, i) => {
          const xy = proj([p.lon, p.lat]);
          if (!xy) return null;
          return (
            <g key={i} className="place" data-testid="map-place">
              <circle cx={xy[0]} cy={xy[1]} r="5" />
              {/* Labels near the right edge go to the left of their dot so they stay inside the map. */}
              <text x={xy[0] > W * 0.7 ? xy[0] - 8 : xy[0] + 8} y={xy[1] - 8} textAnchor={xy[0] > W * 0.7 ? 'end' : 'start'}>
                {`${i + 1}. ${p.label}`}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        {label}. Map: Natural Earth (public domain). <DbIpAttribution />
      </figcaption>
    </figure>
  );
}
