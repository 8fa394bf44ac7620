package sim

import (
	"fmt"
	"time"
)

// DemoNames lists the built-in scenarios Demo knows, sorted.
func DemoNames() []string { return []string{"fail", "pass"} }

// Demo returns a built-in scenario for docketqa-gate --demo: four blueprints
// of a web shop, written in ordinary browser-test language.
//
//   - "pass": every blueprint passes; "Search returns results" needs one
//     DocketQA retry.
//   - "fail": the same, except "Checkout with saved card" fails at step 3
//     because the card is declined.
//
// Every call returns fresh values that the caller may modify.
func Demo(name string) ([]Blueprint, error) {
	bps := []Blueprint{
		{
			ID:          180,
			Title:       "Login flow",
			StartingURL: "https://shop.example.com/login",
			StepActions: []string{
				"Enter 'demo.user@example.com' in the email field",
				"Enter the demo password in the password field",
				"Click the 'Sign in' button",
				"Verify the account menu greets the user by first name",
			},
			Duration: 2 * time.Second,
		},
		{
			ID:          181,
			Title:       "Checkout with saved card",
			StartingURL: "https://shop.example.com/cart",
			StepActions: []string{
				"Click 'Proceed to checkout' on the cart page",
				"Select the saved Visa card ending in 4242",
				"Click 'Place order' and wait for the order confirmation page",
				"Verify the confirmation page shows an order number",
				"Verify the order summary lists the items from the cart",
			},
			Duration: 4 * time.Second,
		},
		{
			ID:          182,
			Title:       "Search returns results",
			StartingURL: "https://shop.example.com/",
			StepActions: []string{
				"Type 'wireless headphones' in the search box and press Enter",
				"Wait for the results list to finish loading",
				"Verify at least one product card mentions 'wireless headphones'",
			},
			Duration:   1500 * time.Millisecond,
			Retries:    1,
			FailStep:   2,
			FailReason: "Timed out after 30 seconds waiting for the results list to appear.",
		},
		{
			ID:          183,
			Title:       "Password reset e-mail",
			StartingURL: "https://shop.example.com/login",
			StepActions: []string{
				"Click the 'Forgot password?' link below the sign-in form",
				"Enter 'demo.user@example.com' in the email field",
				"Click the 'Send reset link' button",
				"Verify the page says 'Check your inbox'",
				"Open the newest e-mail in the test inbox",
				"Verify the e-mail contains a 'Reset password' link",
			},
			Duration: 3 * time.Second,
		},
	}
	switch name {
	case "pass":
	case "fail":
		checkout := &bps[1]
		checkout.Outcome = "failed"
		checkout.FailStep = 3
		checkout.FailReason = "Expected the order confirmation page, but the payment form showed 'Card declined'."
	default:
		return nil, fmt.Errorf("unknown demo scenario %q; valid scenarios are %q", name, DemoNames())
	}
	return bps, nil
}
