using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Aeros.Iam.Keys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Aeros.Iam.Tokens;

/// <summary>
/// Writes the client-credential access token of the fast path: the JWT OpenIddict issues for the same request (header
/// <c>alg</c> RS256, <c>kid</c> of the active signing key, <c>typ</c> <c>at+jwt</c>; the same claims, issuer, audience
/// and lifetime), signed with the key store's active key, so a rotation applies to the next token.
/// </summary>
internal sealed class AccessTokenWriter(SigningKeyStore keys, IamIssuer issuer, IOptions<IamOptions> options, TimeProvider time)
{
    private Signer? _signer;

    /// <summary>A signed token for client <paramref name="clientId"/> (its own subject) and the whole seconds it has left.</summary>
    public (string Token, long ExpiresIn) Create(string clientId, IReadOnlyList<string> roles, IReadOnlyList<string> domains)
    {
        var signer = CurrentSigner();
        var lifetime = options.Value.AccessTokenLifetime;
        var now = time.GetUtcNow();
        var issuedAt = now.ToUnixTimeSeconds();
        var expires = (now + lifetime).ToUnixTimeSeconds();

        var payload = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            // OpenIddict's claims in OpenIddict's order (no nbf; oi_prst is its "presenters" claim).
            json.WriteString("iss", issuer.Value.AbsoluteUri);
            json.WriteNumber("exp", expires);
            json.WriteNumber("iat", issuedAt);
            json.WriteString("aud", options.Value.Audience);
            // OpenIddict's token id is a random GUID too.
            json.WriteString("jti", Guid.NewGuid().ToString());
            json.WriteString("sub", clientId);
            WriteArray(json, IamClaims.Roles, roles);
            WriteArray(json, IamClaims.Domains, domains);
            json.WriteString("oi_prst", clientId);
            json.WriteString("client_id", clientId);
            json.WriteEndObject();
        }

        var header = signer.EncodedHeader;
        var encodedPayloadLength = Base64Url.GetEncodedLength(payload.WrittenCount);
        var input = new byte[header.Length + 1 + encodedPayloadLength];
        header.CopyTo(input, 0);
        input[header.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(payload.WrittenSpan, input.AsSpan(header.Length + 1));
        var signature = signer.Provider.Sign(input);
        var token = string.Create(input.Length + 1 + Base64Url.GetEncodedLength(signature.Length), (input, signature), static (chars, state) =>
        {
            Encoding.ASCII.GetChars(state.input, chars);
            chars[state.input.Length] = '.';
            Base64Url.EncodeToChars(state.signature, chars[(state.input.Length + 1)..]);
        });
        // Like OpenIddict: the whole seconds left when the answer is made.
        return (token, (long)(now + lifetime - time.GetUtcNow()).TotalSeconds);
    }

    private static void WriteArray(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }
        json.WriteEndArray();
    }

    private Signer CurrentSigner()
    {
        var active = keys.Current.Active;
        var signer = Volatile.Read(ref _signer);
        if (signer is not null && ReferenceEquals(signer.Key, active))
        {
            return signer;
        }
        // After a rotation: the previous signer is left to the collector (a request may still be using it).
        signer = new Signer(active);
        Volatile.Write(ref _signer, signer);
        return signer;
    }

    /// <summary>One signing key: its encoded JWT header and a signature provider (thread-safe, it pools its RSA adapters).</summary>
    private sealed class Signer
    {
        public Signer(StoredKey key)
        {
            Key = key;
            var header = new ArrayBufferWriter<byte>(128);
            using (var json = new Utf8JsonWriter(header))
            {
                json.WriteStartObject();
                json.WriteString("alg", SecurityAlgorithms.RsaSha256);
                json.WriteString("kid", key.KeyId);
                json.WriteString("typ", "at+jwt");
                json.WriteEndObject();
            }
            EncodedHeader = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(header.WrittenSpan));
            Provider = new AsymmetricSignatureProvider(key.Key, SecurityAlgorithms.RsaSha256, willCreateSignatures: true);
        }

        public StoredKey Key { get; }

        public byte[] EncodedHeader { get; }

        public AsymmetricSignatureProvider Provider { get; }
    }
}
