// With the Stripe provider: a Stripe Elements card field turns the card into a token before the form is posted.
(function () {
  const script = document.getElementById("stripe-card");
  const stripe = Stripe(script.dataset.key);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const form = document.getElementById("pay-form");
  form.addEventListener("submit", async function (event) {
    if (form.elements["StripeToken"].value) return;
    event.preventDefault();
    const result = await stripe.createToken(card);
    if (result.error) {
      document.getElementById("card-errors").textContent = result.error.message;
      return;
    }
    form.elements["StripeToken"].value = result.token.id;
    form.submit();
  });
})();
