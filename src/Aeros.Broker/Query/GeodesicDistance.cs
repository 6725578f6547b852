using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;

namespace Aeros.Broker.Query;

/// <summary>
/// Great-circle distances in metres on a sphere of radius <see cref="EarthRadius"/> (mean Earth radius).
/// </summary>
/// <remarks>
/// Point to point (and between point sets) the distance is the exact haversine distance. For lines and polygons the
/// nearest pair of points is found in a local azimuthal equidistant projection centred on the reference geometry
/// (distances from the centre are exact there; elsewhere the scale error is about (d/R)²/6, i.e. below 0.01 % within
/// 100 km), then the haversine distance between that pair, mapped back to longitude/latitude, is returned. Geometries
/// that intersect (in longitude/latitude) are at distance 0. The antimeridian is not handled.
/// Compared with the exact geodesic on the WGS84 ellipsoid the spherical model differs by up to about 0.5 %.
/// </remarks>
internal static class GeodesicDistance
{
    /// <summary>Mean Earth radius in metres (IUGG).</summary>
    public const double EarthRadius = 6_371_008.8;

    private const double DegToRad = Math.PI / 180;

    /// <summary>Haversine distance between two (longitude, latitude) positions in degrees.</summary>
    public static double Haversine(double lon1, double lat1, double lon2, double lat2)
    {
        var phi1 = lat1 * DegToRad;
        var phi2 = lat2 * DegToRad;
        var dPhi = phi2 - phi1;
        var dLambda = (lon2 - lon1) * DegToRad;
        var sinPhi = Math.Sin(dPhi / 2);
        var sinLambda = Math.Sin(dLambda / 2);
        var h = (sinPhi * sinPhi) + (Math.Cos(phi1) * Math.Cos(phi2) * sinLambda * sinLambda);
        return 2 * EarthRadius * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>The distance in metres between two geometries in longitude/latitude.</summary>
    public static double Between(Geometry reference, Geometry target)
    {
        if (reference is Point p && target is Point q)
        {
            return Haversine(p.X, p.Y, q.X, q.Y);
        }
        if (IsPuntal(reference) && IsPuntal(target))
        {
            var min = double.PositiveInfinity;
            foreach (var a in reference.Coordinates)
            {
                foreach (var b in target.Coordinates)
                {
                    min = Math.Min(min, Haversine(a.X, a.Y, b.X, b.Y));
                }
            }
            return min;
        }
        if (reference.Intersects(target))
        {
            return 0;
        }
        var centre = reference.EnvelopeInternal.Centre;
        var projection = new AzimuthalEquidistant(centre.X, centre.Y);
        var nearest = DistanceOp.NearestPoints(projection.Forward(reference), projection.Forward(target));
        var (lon1, lat1) = projection.Inverse(nearest[0].X, nearest[0].Y);
        var (lon2, lat2) = projection.Inverse(nearest[1].X, nearest[1].Y);
        return Haversine(lon1, lat1, lon2, lat2);
    }

    private static bool IsPuntal(Geometry geometry) => geometry is Point or MultiPoint;

    /// <summary>Spherical azimuthal equidistant projection (x east, y north, metres) about a centre.</summary>
    private sealed class AzimuthalEquidistant(double lon0, double lat0) : ICoordinateSequenceFilter
    {
        private readonly double _lambda0 = lon0 * DegToRad;
        private readonly double _sinPhi0 = Math.Sin(lat0 * DegToRad);
        private readonly double _cosPhi0 = Math.Cos(lat0 * DegToRad);

        public Geometry Forward(Geometry geometry)
        {
            var copy = geometry.Copy();
            copy.Apply(this);
            return copy;
        }

        public (double X, double Y) Project(double lon, double lat)
        {
            var phi = lat * DegToRad;
            var dLambda = (lon * DegToRad) - _lambda0;
            var sinPhi = Math.Sin(phi);
            var cosPhi = Math.Cos(phi);
            var cosDLambda = Math.Cos(dLambda);
            var cosC = Math.Clamp((_sinPhi0 * sinPhi) + (_cosPhi0 * cosPhi * cosDLambda), -1, 1);
            var c = Math.Acos(cosC);
            var k = c < 1e-12 ? 1 : c / Math.Sin(c);
            return (EarthRadius * k * cosPhi * Math.Sin(dLambda),
                EarthRadius * k * ((_cosPhi0 * sinPhi) - (_sinPhi0 * cosPhi * cosDLambda)));
        }

        public (double Lon, double Lat) Inverse(double x, double y)
        {
            var rho = Math.Sqrt((x * x) + (y * y));
            if (rho < 1e-9)
            {
                return (_lambda0 / DegToRad, Math.Asin(_sinPhi0) / DegToRad);
            }
            var c = rho / EarthRadius;
            var sinC = Math.Sin(c);
            var cosC = Math.Cos(c);
            var phi = Math.Asin(Math.Clamp((cosC * _sinPhi0) + (y * sinC * _cosPhi0 / rho), -1, 1));
            var lambda = _lambda0 + Math.Atan2(x * sinC, (rho * _cosPhi0 * cosC) - (y * _sinPhi0 * sinC));
            return (lambda / DegToRad, phi / DegToRad);
        }

        public void Filter(CoordinateSequence seq, int i)
        {
            var (x, y) = Project(seq.GetX(i), seq.GetY(i));
            seq.SetX(i, x);
            seq.SetY(i, y);
        }

        public bool Done => false;

        public bool GeometryChanged => true;
    }
}
